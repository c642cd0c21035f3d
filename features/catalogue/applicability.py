"""Site fit: which catalogue measures are candidates for a factory, and why the others are not.

The rules are data in the catalogue (``applicable_sectors``, ``end_uses`` with
``carriers_reduced``, ``requires_roof_area``, ``requires_hydrogen``, ``requires_any_carrier``)
and are evaluated here only, for one profile (with reasons) and for a whole batch (arrays):

- the factory is in one of the measure's sectors and does not have the measure in place;
- a roof for roof-mounted measures, by-product hydrogen for fuel cells;
- market instruments: the carrier they cover is bought;
- sector measures on a production route (catalogue ``route``): the factory declares a matching
  production line (``production``), whatever its end-use split says;
- other physical measures: the factory has energy in the end uses the measure acts on, on the
  carriers it reduces (no steam measures without steam, no lighting retrofit on electrolysis),
  and the site's physics leave something to displace (PV needs yield, CHP needs electricity
  demand, a heat pump a heat demand within its temperature range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from features.catalogue.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue.measures import Catalogue, Measure
from features.enduses.taxonomy import LABEL
from features.messages import Message, MessageText
from features.process_routes.estimate import matching_lines
from features.profile import FactoryProfile
from features.sectors import Sector
from features.table import Table, floats0, profile_table, table_lines, texts
from features.units import PROFILE_FIELD, Carrier


class Applicability(BaseModel):
    """Whether a measure applies to a factory, and why not if it does not."""

    model_config = ConfigDict(frozen=True)

    measure_id: str
    applicable: bool
    reason: MessageText = Field(default="", validate_default=True)


def applicability(profile: FactoryProfile, measure: Measure) -> Applicability:
    """Check the catalogue's rules for one factory and one measure, with the reason."""
    if measure.id in profile.measures_in_place:
        return Applicability(
            measure_id=measure.id, applicable=False, reason=Message("already_in_place")
        )
    if profile.sector not in measure.applicable_sectors:
        return Applicability(
            measure_id=measure.id,
            applicable=False,
            reason=Message("not_for_sector", sector=profile.sector.value),
        )
    if measure.requires_roof_area and profile.roof_area_available_m2 <= 0:
        return Applicability(measure_id=measure.id, applicable=False, reason=Message("no_roof"))
    if measure.requires_hydrogen and profile.byproduct_hydrogen_nm3 <= 0:
        return Applicability(
            measure_id=measure.id,
            applicable=False,
            reason=Message("no_hydrogen"),
        )
    needed = measure.requires_any_carrier
    if needed and not any(profile.energy(c) > 0 for c in needed):
        names = ", ".join(c.value for c in needed)
        return Applicability(
            measure_id=measure.id, applicable=False, reason=Message("uses_none", carriers=names)
        )
    if measure.route is not None:
        if not matching_lines(measure.route, tuple(profile.route_lines())):
            return Applicability(
                measure_id=measure.id,
                applicable=False,
                reason=Message("no_line", products=" or ".join(measure.route.applies_to)),
            )
        return Applicability(measure_id=measure.id, applicable=True)
    if measure.reduction_kind == "physical":
        catalogue = Catalogue.default()
        catalogue = catalogue if measure.id in catalogue.measures else _one(measure)
        found = pairs(
            FactoryEnergy.of(profile_table([profile])),
            np.zeros(1, dtype=np.intp),
            np.array([measure.id], dtype=object),
            catalogue,
        )
        if found.targeted_gj.sum() <= 0:
            uses = " / ".join(LABEL[u] for u in measure.end_uses)
            carriers = ", ".join(c.value for c in measure.carriers_reduced)
            return Applicability(
                measure_id=measure.id,
                applicable=False,
                reason=Message("nothing_to_act_on", carriers=carriers, uses=uses),
            )
        if found.cap[0] <= 0:
            return Applicability(
                measure_id=measure.id,
                applicable=False,
                reason=Message(_NO_POTENTIAL.get(measure.conversion or "", "nothing_to_displace")),
            )
    return Applicability(measure_id=measure.id, applicable=True)


#: Why a conversion has nothing to displace at a site (its physical cap is zero).
_NO_POTENTIAL: dict[str, str] = {
    "pv": "no_pv",
    "solar_thermal": "no_collectors",
    "fuel_cell": "no_hydrogen",
    "wind_hydro": "no_wind_hydro",
    "chp": "no_chp_grid",
    "heat_pump": "hot_for_heat_pump",
}


def _one(measure: Measure) -> Catalogue:
    return Catalogue([measure], [], "single")


def applicable_measures(
    profile: FactoryProfile, catalogue: Catalogue | None = None
) -> list[Measure]:
    """Measures of the catalogue that apply to ``profile``, in catalogue order."""
    catalogue = catalogue or Catalogue.default()
    return [m for m in catalogue.measures.values() if applicability(profile, m).applicable]


@dataclass(frozen=True)
class _Rules:
    """The profile-level rules of a list of measures as arrays (see :func:`applicable_matrix`)."""

    measures: tuple[Measure, ...]  # held so the identity cache key stays valid
    column: dict[str, int]
    sector_ok: np.ndarray  # (sectors + 1, measures); the last row (unknown sector) is False
    sector_index: dict[str, int]
    needed: np.ndarray  # (carriers, measures) 1.0 where the carrier satisfies the measure
    needs_carrier: np.ndarray  # (measures,)
    needs_roof: np.ndarray  # (measures,)
    needs_hydrogen: np.ndarray  # (measures,)


_RULES: dict[tuple[int, ...], _Rules] = {}


def _rules(measures: Sequence[Measure]) -> _Rules:
    key = tuple(id(m) for m in measures)
    cached = _RULES.get(key)
    if cached is not None:
        return cached
    sectors = list(Sector)
    carriers = list(Carrier)
    sector_ok = np.zeros((len(sectors) + 1, len(measures)), dtype=bool)
    needed = np.zeros((len(carriers), len(measures)))
    for j, m in enumerate(measures):
        for s in m.applicable_sectors:
            sector_ok[sectors.index(s), j] = True
        for c in m.requires_any_carrier:
            needed[carriers.index(c), j] = 1.0
    rules = _Rules(
        measures=tuple(measures),
        column={m.id: j for j, m in enumerate(measures)},
        sector_ok=sector_ok,
        sector_index={s.value: i for i, s in enumerate(sectors)},
        needed=needed,
        needs_carrier=needed.sum(axis=0) > 0,
        needs_roof=np.array([m.requires_roof_area for m in measures], dtype=bool),
        needs_hydrogen=np.array([m.requires_hydrogen for m in measures], dtype=bool),
    )
    if len(_RULES) >= 64:
        _RULES.clear()
    _RULES[key] = rules
    return rules


def applicable_matrix(factories: Table, measures: Sequence[Measure]) -> np.ndarray:
    """The profile-level rules over a factories table: bool array (factories, measures).

    Sector, not in place, roof, hydrogen and required carriers; the end-use check needs the
    energy balance and is applied by :func:`candidate_pairs`.
    """
    rules = _rules(measures)
    unknown = len(rules.sector_index)
    sector_rows = [rules.sector_index.get(s, unknown) for s in texts(factories, "sector")]
    ok = rules.sector_ok[np.array(sector_rows, dtype=np.intp)]
    uses = np.column_stack([floats0(factories, PROFILE_FIELD[c]) > 0 for c in Carrier])
    ok &= (uses.astype(float) @ rules.needed > 0) | ~rules.needs_carrier
    roof = floats0(factories, "roof_area_available_m2") > 0
    ok &= roof[:, None] | ~rules.needs_roof
    if "byproduct_hydrogen_nm3" in factories:
        hydrogen = floats0(factories, "byproduct_hydrogen_nm3") > 0
    else:
        hydrogen = np.zeros(len(sector_rows), dtype=bool)
    ok &= hydrogen[:, None] | ~rules.needs_hydrogen
    for i, in_place in enumerate(texts(factories, "measures_in_place")):
        for measure_id in in_place.split(";"):
            j = rules.column.get(measure_id)
            if j is not None:
                ok[i, j] = False
    return ok


def candidate_pairs(
    energy: FactoryEnergy, measures: Sequence[Measure], catalogue: Catalogue
) -> Pairs:
    """Every candidate (factory, measure) pair of a batch, factory-major (the rows of factory i
    are contiguous and in ``measures`` order): all the rules above, end uses included."""
    allowed = applicable_matrix(energy.factories, measures)
    f_idx, m_idx = np.nonzero(allowed)
    ids = np.array([m.id for m in measures], dtype=object)
    found = pairs(energy, f_idx, ids[m_idx] if len(measures) else np.array([]), catalogue)
    physical = np.array(
        [measures[int(j)].reduction_kind == "physical" for j in m_idx.tolist()], dtype=np.bool_
    )
    keep = ~physical | ((found.targeted_gj.sum(axis=1) > 0) & (found.cap > 0))
    routed = [j for j, m in enumerate(measures) if m.route is not None]
    if routed:
        lines = table_lines(energy.factories)
        for row in np.flatnonzero(np.isin(m_idx, routed)):
            effect = measures[int(m_idx[row])].route
            assert effect is not None
            keep[row] = bool(matching_lines(effect, lines[int(f_idx[row])]))
    if keep.all():
        return found
    return Pairs(
        found.factory_index[keep],
        found.keys[keep],
        found.targeted_gj[keep],
        found.by_use_gj[keep],
        found.cap[keep],
        [c for c, k in zip(found.conversions, keep, strict=True) if k],
    )
