"""How each carrier's energy splits into end uses, per factory.

Defaults come from EIA MECS 2018 Table 5.4 (``features/data/enduse_shares.csv``, built by
``scripts/build_enduse_shares.py``): the most specific MECS NAICS block that is a prefix of the
factory's NAICS code, else the programme sector's block (``sector:<sector>`` rows). Data centres
are not in MECS: their electricity splits by PUE (IT load = 1/PUE). A profile may replace any
share (``end_use_shares``); the rest of that carrier is spread over the other end uses in
proportion to the defaults.

Every function takes a *table* (see :mod:`features.table`), so training and serving share them.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np

from features.carriers import CARRIERS, GJ_PER_CANONICAL
from features.enduses.taxonomy import EndUse
from features.process_routes.definitions import ProductionLine
from features.process_routes.emissions import reductant_shares
from features.profile import parse_end_use_shares
from features.sectors import Sector
from features.table import Table, floats, floats0, table_lines, texts
from features.units import PROFILE_FIELD, Carrier

END_USES = list(EndUse)
_C = {c: i for i, c in enumerate(CARRIERS)}
_U = {u: i for i, u in enumerate(END_USES)}

#: Data-centre power usage effectiveness when the profile gives neither PUE nor IT load: 1.58,
#: the mean that operators reported in the Uptime Institute Global Data Center Survey 2023.
DEFAULT_PUE = 1.58
#: Split of a data centre's non-IT electricity. ASSUMPTION (docs/engineering-basis.md): cooling
#: and air handling take most of the overhead (about 70%), power conversion and distribution
#: (UPS, transformers, PDUs) about 25%, lighting and other facility loads about 5%.
DATA_CENTRE_OVERHEAD: dict[EndUse, float] = {
    EndUse.FACILITY_HVAC: 0.70,
    EndUse.OTHER: 0.25,
    EndUse.LIGHTING: 0.05,
}
#: Purchased steam/heat is not in MECS. Assumption: it feeds the steam system (industrial parks
#: in China sell process steam), so steam-distribution measures act on it and boiler measures
#: do not (the factory has no boiler for it).
PURCHASED_HEAT_END_USE = EndUse.STEAM
#: Data-centre fuels: gas heats (rare), diesel and other liquid fuels run standby generators.
_DATA_CENTRE_FUELS: dict[Carrier, EndUse] = {
    Carrier.NATURAL_GAS: EndUse.FACILITY_HVAC,
    Carrier.DIESEL: EndUse.ONSITE_GENERATION,
    Carrier.FUEL_OIL: EndUse.ONSITE_GENERATION,
    Carrier.LPG: EndUse.ONSITE_GENERATION,
    Carrier.OTHER_FUEL: EndUse.ONSITE_GENERATION,
    Carrier.COAL: EndUse.ONSITE_GENERATION,
    Carrier.BIOMASS: EndUse.ONSITE_GENERATION,
}


@dataclass(frozen=True)
class ShareTable:
    """Default shares per MECS block: ``blocks[key]`` is (carriers, end uses), rows sum to 1."""

    blocks: dict[str, np.ndarray]
    basis: dict[str, str]  # block -> description of where its numbers come from

    def block_for(self, sector: str, naics: str) -> str:
        """The block whose shares a factory gets: the longest MECS block of 4-6 digits that is
        a prefix of its NAICS code, else its sector's block (built from the MECS blocks of the
        sector's NAICS codes), else the 3-digit block, else all manufacturing."""
        code = naics.strip()
        for length in range(min(len(code), 6), 3, -1):
            if code[:length] in self.blocks:
                return code[:length]
        key = f"sector:{sector}"
        if key in self.blocks:
            return key
        return code[:3] if code[:3] in self.blocks else "31-33"


@functools.cache
def default_shares() -> ShareTable:
    """The bundled share table (read once per process)."""
    text = resources.files("features").joinpath("data/enduse_shares.csv").read_text("utf-8")
    blocks: dict[str, np.ndarray] = {}
    basis: dict[str, str] = {}
    for row in csv.DictReader(text.splitlines()):
        key = row["naics"]
        array = blocks.setdefault(key, np.zeros((len(CARRIERS), len(END_USES))))
        array[_C[Carrier(row["carrier"])], _U[EndUse(row["end_use"])]] = float(row["share"])
        basis.setdefault(key, f"EIA MECS 2018 Table 5.4, {row['naics_desc']} ({key})")
    for array in blocks.values():
        _fill_unlisted(array)
    return ShareTable(blocks=blocks, basis=basis)


def _fill_unlisted(array: np.ndarray) -> None:
    """Purchased heat (and any carrier the table lacks) gets its assumed end use."""
    heat = _C[Carrier.PURCHASED_HEAT]
    if array[heat].sum() == 0:
        array[heat, _U[PURCHASED_HEAT_END_USE]] = 1.0
    for c in range(len(CARRIERS)):
        if array[c].sum() == 0:
            array[c, _U[EndUse.OTHER]] = 1.0


def data_centre_shares(pue: float) -> np.ndarray:
    """(carriers, end uses) shares of a data centre with power usage effectiveness ``pue``."""
    out = np.zeros((len(CARRIERS), len(END_USES)))
    it = 1.0 / pue
    out[_C[Carrier.ELECTRICITY], _U[EndUse.IT_LOAD]] = it
    for use, share in DATA_CENTRE_OVERHEAD.items():
        out[_C[Carrier.ELECTRICITY], _U[use]] = (1 - it) * share
    for carrier, use in _DATA_CENTRE_FUELS.items():
        out[_C[carrier], _U[use]] = 1.0
    out[_C[Carrier.PURCHASED_HEAT], _U[EndUse.FACILITY_HVAC]] = 1.0
    return out


def apply_overrides(
    base: np.ndarray, overrides: Mapping[tuple[Carrier, EndUse], float]
) -> np.ndarray:
    """Shares with the given ones fixed and the rest of each carrier scaled to fill it."""
    out = base.copy()
    given: dict[Carrier, dict[EndUse, float]] = {}
    for (carrier, use), share in overrides.items():
        given.setdefault(carrier, {})[use] = share
    for carrier, uses in given.items():
        c = _C[carrier]
        fixed = np.zeros(len(END_USES), dtype=bool)
        for use, share in uses.items():
            out[c, _U[use]] = share
            fixed[_U[use]] = True
        rest = 1.0 - sum(uses.values())
        free = base[c] * ~fixed
        if rest <= 1e-12:
            out[c, ~fixed] = 0.0
        elif free.sum() > 0:
            out[c, ~fixed] = free[~fixed] / free.sum() * rest
        else:
            out[c, _U[EndUse.OTHER]] += rest
    return out


def share_tensor(factories: Table, table: ShareTable | None = None) -> np.ndarray:
    """(factories, carriers, end uses) shares of each carrier's energy by end use."""
    table = table or default_shares()
    sectors = texts(factories, "sector")
    naics = texts(factories, "naics_code") if "naics_code" in factories else [""] * len(sectors)
    overrides = (
        texts(factories, "end_use_shares") if "end_use_shares" in factories else [""] * len(sectors)
    )
    pue = floats(factories, "pue") if "pue" in factories else np.full(len(sectors), np.nan)
    it_kwh = floats0(factories, "it_load_kwh") if "it_load_kwh" in factories else None
    elec = floats0(factories, PROFILE_FIELD[Carrier.ELECTRICITY]) + (
        floats0(factories, "onsite_renewable_kwh") if "onsite_renewable_kwh" in factories else 0.0
    )
    lines = table_lines(factories)
    energy = energy_gj_matrix(factories) if any(lines) else None
    out = np.empty((len(sectors), len(CARRIERS), len(END_USES)))
    for i, sector in enumerate(sectors):
        if sector == Sector.COMPUTING_INFRASTRUCTURE.value:
            p = pue[i] if np.isfinite(pue[i]) else DEFAULT_PUE
            if it_kwh is not None and it_kwh[i] > 0 and elec[i] > 0:
                p = max(elec[i] / it_kwh[i], 1.0)
            out[i] = _data_centre_cached(round(float(p), 9))
        else:
            out[i] = table.blocks[table.block_for(sector, naics[i])]
        given = parse_end_use_shares(overrides[i]) if overrides[i] else {}
        if lines[i] and energy is not None:
            given = _with_reductant(given, lines[i], energy[i])
        if given:
            out[i] = apply_overrides(out[i], given)
    return out


def _with_reductant(
    given: dict[tuple[Carrier, EndUse], float],
    lines: tuple[ProductionLine, ...],
    energy_gj: np.ndarray,
) -> dict[tuple[Carrier, EndUse], float]:
    """The profile's own shares plus the reductant/feedstock share its routes imply, which
    never overrides a share the profile gives and takes at most what the profile leaves."""
    out = dict(given)
    implied = reductant_shares(lines, {c: float(energy_gj[k]) for k, c in enumerate(CARRIERS)})
    for (carrier, use), share in implied.items():
        if (carrier, use) in given:
            continue
        left = 1.0 - sum(v for (c, _), v in given.items() if c == carrier)
        if left > 0:
            out[(carrier, use)] = min(share, left)
    return out


@functools.lru_cache(maxsize=256)
def _data_centre_cached(pue: float) -> np.ndarray:
    return data_centre_shares(pue)


def energy_gj_matrix(factories: Table) -> np.ndarray:
    """(factories, carriers) energy use in GJ (electricity converted from kWh); missing = 0."""
    return np.column_stack(
        [floats0(factories, PROFILE_FIELD[c]) * GJ_PER_CANONICAL[j] for j, c in enumerate(CARRIERS)]
    )
