"""A factory's end-use energy balance, for people: energy per carrier and end use with where the
split came from (the profile, the sector or NAICS default from EIA MECS 2018, or the data-centre
PUE model)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from features.enduses.shares import DEFAULT_PUE, default_shares, share_tensor
from features.enduses.taxonomy import LABEL, EndUse
from features.profile import FactoryProfile
from features.sectors import Sector
from features.table import profile_table
from features.units import CANONICAL_UNIT, Carrier


class EndUseEnergy(BaseModel):
    """One carrier's energy in one end use."""

    model_config = ConfigDict(frozen=True)

    carrier: Carrier
    end_use: EndUse
    label: str
    energy: float = Field(description="Annual energy in `unit`.")
    unit: str
    share: float = Field(description="Share of the carrier's annual use.")
    source: str = Field(description="profile, or the default the share comes from.")


_CARRIERS, _END_USES = tuple(Carrier), tuple(EndUse)


def end_use_balance(
    profile: FactoryProfile, shares: np.ndarray | None = None
) -> list[EndUseEnergy]:
    """Non-zero (carrier, end use) cells of the factory's balance, largest first per carrier
    (``shares``: its (carriers, end uses) share tensor when the caller has it already)."""
    if shares is None:
        shares = share_tensor(profile_table([profile]))[0]
    given = profile.end_use_shares()
    if profile.sector == Sector.COMPUTING_INFRASTRUCTURE:
        default = (
            "data-centre model: IT load = 1/PUE "
            f"(PUE {profile.pue or DEFAULT_PUE}; features.enduses.shares)"
        )
    else:
        table = default_shares()
        block = table.block_for(profile.sector.value, profile.naics_code or "")
        default = table.basis[block]
    out: list[EndUseEnergy] = []
    for c_i, carrier in enumerate(_CARRIERS):
        use = profile.energy(carrier)
        if use <= 0:
            continue
        carrier_given = any(c == carrier for c, _ in given)
        cells = []
        for u_i, end_use in enumerate(_END_USES):
            share = float(shares[c_i, u_i])
            if share <= 0:
                continue
            source = (
                "profile"
                if (carrier, end_use) in given
                else "assumption: purchased steam/heat feeds the steam system"
                if carrier == Carrier.PURCHASED_HEAT
                and profile.sector != Sector.COMPUTING_INFRASTRUCTURE
                else "profile"
                if (carrier, end_use) in given
                else (
                    f"{default}, scaled to the rest of the profile's split"
                    if carrier_given
                    else default
                )
            )
            cells.append(
                EndUseEnergy(
                    carrier=carrier,
                    end_use=end_use,
                    label=LABEL[end_use],
                    energy=use * share,
                    unit=CANONICAL_UNIT[carrier],
                    share=share,
                    source=source,
                )
            )
        out.extend(sorted(cells, key=lambda e: -e.share))
    return out
