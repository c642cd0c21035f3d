"""Which catalogue measures apply to a factory, and why the others do not."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from features.catalogue import Catalogue, Measure
from features.profile import FactoryProfile
from features.table import Table, floats, n_rows, texts
from features.units import PROFILE_FIELD, Carrier


class Applicability(BaseModel):
    """Whether a measure applies to a factory, and why not if it does not."""

    model_config = ConfigDict(frozen=True)

    measure_id: str
    applicable: bool
    reason: str = ""


def applicability(profile: FactoryProfile, measure: Measure) -> Applicability:
    """Check the catalogue's rules for one factory and one measure.

    A measure applies when the factory is in one of its sectors, does not have it in place, uses
    at least one carrier it needs (``requires_any_carrier``, else ``carriers_reduced``) and, for
    roof-mounted measures, has roof area.
    """
    if measure.id in profile.measures_in_place:
        return Applicability(measure_id=measure.id, applicable=False, reason="already in place")
    if profile.sector not in measure.applicable_sectors:
        return Applicability(
            measure_id=measure.id,
            applicable=False,
            reason=f"not for sector {profile.sector.value}",
        )
    needed = measure.requires_any_carrier or measure.carriers_reduced
    if needed and not any(profile.energy(c) > 0 for c in needed):
        names = ", ".join(c.value for c in needed)
        return Applicability(
            measure_id=measure.id, applicable=False, reason=f"uses none of: {names}"
        )
    if measure.requires_roof_area and profile.roof_area_available_m2 <= 0:
        return Applicability(measure_id=measure.id, applicable=False, reason="no roof area")
    return Applicability(measure_id=measure.id, applicable=True)


def applicable_measures(
    profile: FactoryProfile, catalogue: Catalogue | None = None
) -> list[Measure]:
    """Measures of the catalogue that apply to ``profile``, in catalogue order."""
    catalogue = catalogue or Catalogue.default()
    return [m for m in catalogue.measures.values() if applicability(profile, m).applicable]


def applicable_matrix(factories: Table, measures: Sequence[Measure]) -> np.ndarray:
    """Vectorised :func:`applicability` over a factories table: bool array (factories, measures).

    Same rules: sector, a needed carrier in use, roof area where required, not already in place.
    """
    n = n_rows(factories)
    sectors = np.array(texts(factories, "sector"))
    roof = np.nan_to_num(floats(factories, "roof_area_available_m2"), nan=0.0)
    in_place = [set(s.split(";")) for s in texts(factories, "measures_in_place")]
    energy = {c: np.nan_to_num(floats(factories, PROFILE_FIELD[c]), nan=0.0) > 0 for c in Carrier}
    out = np.zeros((n, len(measures)), dtype=bool)
    for j, m in enumerate(measures):
        ok = np.isin(sectors, [s.value for s in m.applicable_sectors])
        needed = m.requires_any_carrier or m.carriers_reduced
        if needed:
            uses = np.zeros(n, dtype=bool)
            for c in needed:
                uses |= energy[c]
            ok &= uses
        if m.requires_roof_area:
            ok &= roof > 0
        ok &= np.array([m.id not in s for s in in_place], dtype=bool)
        out[:, j] = ok
    return out
