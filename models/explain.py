"""SHAP explanations of the savings and adoption predictions, grouped by profile field."""

from __future__ import annotations

import functools
import math

import numpy as np

from features.profile import PROFILE_COLUMNS, FactoryProfile
from features.units import PROFILE_FIELD, Carrier
from models.estimators import GBMClassifier, IntervalRegressor
from models.schemas import Explanation, FeatureContribution, RecommendOptions

_ADOPTION_EXTRA = ("capex", "cost_savings_per_year", "payback_years")


def explain_rows(
    savings_model: IntervalRegressor,
    adoption_model: GBMClassifier,
    adoption_X: np.ndarray,
    X: np.ndarray,
    columns: list[str],
    rows: np.ndarray,
    keys: np.ndarray,
    s: dict[str, np.ndarray],
    profiles: list[FactoryProfile],
    factory_index: np.ndarray,
    options: RecommendOptions,
    currencies: list[str],
) -> list[Explanation]:
    """Explanations of the given rows (any factories of the batch), one call per model.

    ``X`` and ``adoption_X`` hold only the rows to explain; ``rows`` index the score arrays.
    """
    if options.explain == "none" or len(rows) == 0:
        return []
    savings = savings_model.contributions(X)
    adoption = adoption_model.contributions(adoption_X)
    sources, savings_by_source = _by_source(savings[:, :-1], columns)
    adoption_sources, adoption_by_source = _by_source(
        adoption[:, :-1], [*columns, *_ADOPTION_EXTRA]
    )
    limit = None if options.explain == "full" else options.top_features
    out = []
    for k, row in enumerate(rows):
        capex = float(s["capex"][row])
        annual = float(s["cost_savings"][row])
        currency = currencies[int(factory_index[row])]
        extra: dict[str, tuple[object, str]] = {
            "measure": (str(keys[row]), "catalogue id"),
            "end_uses": (
                float(s["targeted_gj"][row]),
                "GJ/yr of energy in the end uses the measure acts on",
            ),
            "capex": (capex, f"{currency} (predicted)"),
            "cost_savings_per_year": (annual, f"{currency}/yr (predicted)"),
            "payback_years": (capex / annual if annual > 0 else None, "years"),
        }
        factory = profiles[int(factory_index[row])]
        out.append(
            Explanation(
                savings_base_value=float(savings[k, -1]),
                savings_prediction=float(savings[k].sum()),
                savings=_grouped(savings_by_source[k], sources, factory, extra, limit),
                adoption_base_value=float(adoption[k, -1]),
                adoption_prediction=float(adoption[k].sum()),
                adoption=_grouped(adoption_by_source[k], adoption_sources, factory, extra, limit),
            )
        )
    return out


@functools.cache
def _source_groups(
    columns: tuple[str, ...],
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    names = tuple(dict.fromkeys(columns))
    group = np.array([names.index(c) for c in columns])
    counts = np.bincount(group, minlength=len(names))
    return names, np.argsort(group, kind="stable"), np.concatenate([[0], np.cumsum(counts)[:-1]])


def _by_source(contributions: np.ndarray, columns: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Per-column contributions (rows, columns) summed per source (rows, sources), in column
    order within each source, so a row's sums do not depend on the other rows of the batch."""
    names, order, starts = _source_groups(tuple(columns))
    return names, np.add.reduceat(contributions[:, order], starts, axis=1)


def _grouped(
    totals: np.ndarray,
    sources: tuple[str, ...],
    factory: FactoryProfile,
    extra: dict[str, tuple[object, str]],
    limit: int | None,
) -> list[FeatureContribution]:
    """Contributions per profile field (or extra input), largest magnitude first."""
    order = np.argsort(-np.abs(totals), kind="stable")[:limit]
    out = []
    for j in order:
        source = sources[j]
        if source in extra:
            value, unit = extra[source]
        else:
            value, unit = _profile_value(factory, source), PROFILE_COLUMNS.get(source, "")
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        if not (value is None or isinstance(value, str | int | float)):
            value = str(value)
        out.append(
            FeatureContribution(field=source, value=value, unit=unit, contribution=float(totals[j]))
        )
    return out


_CARRIER_OF_FIELD = {PROFILE_FIELD[c]: c for c in Carrier}


def _profile_value(profile: FactoryProfile, field: str) -> object:
    """The profile's value of a profile column, in canonical units (energy_use folded in)."""
    if field == "grid":
        return profile.grid
    if field == "measures_in_place":
        return ";".join(profile.measures_in_place)
    if field in PROFILE_COLUMNS and hasattr(profile, field):
        carrier = _CARRIER_OF_FIELD.get(field)
        if carrier is not None:
            return profile.energy(carrier)
        value = getattr(profile, field)
        return value.value if hasattr(value, "value") else value
    return None
