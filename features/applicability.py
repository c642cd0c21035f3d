"""Which catalogue measures apply to a factory, and why the others do not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from features.catalogue import Catalogue, Measure
from features.profile import FactoryProfile
from features.sectors import Sector
from features.table import Table, floats0, texts
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


@dataclass(frozen=True)
class _Rules:
    """The applicability rules of a list of measures as arrays (see :func:`applicable_matrix`)."""

    measures: tuple[Measure, ...]  # held so the identity cache key stays valid
    column: dict[str, int]
    sector_ok: np.ndarray  # (sectors + 1, measures); the last row (unknown sector) is False
    sector_index: dict[str, int]
    needed: np.ndarray  # (carriers, measures) 1.0 where the carrier satisfies the measure
    needs_carrier: np.ndarray  # (measures,)
    needs_roof: np.ndarray  # (measures,)


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
        for c in m.requires_any_carrier or m.carriers_reduced:
            needed[carriers.index(c), j] = 1.0
    rules = _Rules(
        measures=tuple(measures),
        column={m.id: j for j, m in enumerate(measures)},
        sector_ok=sector_ok,
        sector_index={s.value: i for i, s in enumerate(sectors)},
        needed=needed,
        needs_carrier=needed.sum(axis=0) > 0,
        needs_roof=np.array([m.requires_roof_area for m in measures], dtype=bool),
    )
    if len(_RULES) >= 64:
        _RULES.clear()
    _RULES[key] = rules
    return rules


def applicable_matrix(factories: Table, measures: Sequence[Measure]) -> np.ndarray:
    """Vectorised :func:`applicability` over a factories table: bool array (factories, measures).

    Same rules: sector, a needed carrier in use, roof area where required, not already in place.
    """
    rules = _rules(measures)
    unknown = len(rules.sector_index)
    sector_rows = [rules.sector_index.get(s, unknown) for s in texts(factories, "sector")]
    ok = rules.sector_ok[np.array(sector_rows, dtype=np.intp)]
    uses = np.column_stack([floats0(factories, PROFILE_FIELD[c]) > 0 for c in Carrier])
    ok &= (uses.astype(float) @ rules.needed > 0) | ~rules.needs_carrier
    roof = floats0(factories, "roof_area_available_m2") > 0
    ok &= roof[:, None] | ~rules.needs_roof
    for i, in_place in enumerate(texts(factories, "measures_in_place")):
        for measure_id in in_place.split(";"):
            j = rules.column.get(measure_id)
            if j is not None:
                ok[i, j] = False
    return ok
