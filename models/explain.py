"""SHAP explanations of the savings and adoption predictions, grouped by profile field."""

from __future__ import annotations

import functools
import math

import numpy as np

from features.carriers import GJ_PER_CANONICAL, column
from features.i18n import Lang, field_words, human, text
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
    names: dict[str, str],
) -> list[Explanation]:
    """Explanations of the given rows (any factories of the batch), one call per model.

    ``X`` and ``adoption_X`` hold only the rows to explain; ``rows`` index the score arrays;
    ``names`` are the measures' names in ``options.lang``.
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
    # Largest magnitude first, every row of the batch at once (stable: ties keep field order).
    savings_order = np.argsort(-np.abs(savings_by_source), axis=1, kind="stable")
    adoption_order = np.argsort(-np.abs(adoption_by_source), axis=1, kind="stable")
    measure = sources.index(MEASURE_SOURCE) if MEASURE_SOURCE in sources else -1
    values = _ProfileValues(profiles)
    effects = (text("lowers_share", options.lang), text("raises_share", options.lang))
    out = []
    for k, row in enumerate(rows):
        capex = float(s["capex"][row])
        annual = float(s["cost_savings"][row])
        f = int(factory_index[row])
        currency = currencies[f]
        extra: dict[str, tuple[object, str]] = {
            "measure": (str(keys[row]), "catalogue id"),
            "end_uses": (
                float(s["targeted_gj"][row]),
                "GJ/yr",
            ),
            "capex": (capex, f"{currency} (predicted)"),
            "cost_savings_per_year": (annual, f"{currency}/yr (predicted)"),
            "payback_years": (capex / annual if annual > 0 else None, "years"),
        }
        # The measure's identity and attributes are the base, not a reason.
        by_source = savings_by_source[k]
        base = float(savings[k, -1])
        if measure >= 0:
            base += float(by_source[measure])
        prediction = float(savings[k].sum())
        # Apportion the tCO2e above (or below) the measure's average in proportion to the log
        # contributions: tCO2e at the base = tCO2e x exp(base - prediction).
        t = float(s["tco2e"][row])
        spread = t - t * math.exp(base - prediction)
        total = float(by_source.sum()) - (float(by_source[measure]) if measure >= 0 else 0.0)
        t_per_unit = spread / total if abs(total) > 1e-12 else 0.0
        reasons = _grouped(by_source, savings_order[k], sources, values, f, extra, limit,
                           skip=measure, t_per_unit=t_per_unit, effects=effects)  # fmt: skip
        out.append(
            Explanation(
                savings_base_value=base,
                savings_prediction=prediction,
                savings=reasons,
                summary=_sentence(reasons, names.get(str(keys[row]), str(keys[row])), options.lang),
                adoption_base_value=float(adoption[k, -1]),
                adoption_prediction=float(adoption[k].sum()),
                adoption=_grouped(
                    adoption_by_source[k],
                    adoption_order[k],
                    adoption_sources,
                    values,
                    f,
                    extra,
                    limit,
                ),
            )
        )
    return out


class _ProfileValues:
    """Each factory's value of each profile field, looked up once per batch."""

    def __init__(self, profiles: list[FactoryProfile]) -> None:
        self.profiles = profiles
        self.cache: dict[tuple[int, str], tuple[object, str]] = {}

    def get(self, factory: int, source: str) -> tuple[object, str]:
        """(value, unit) of ``source`` for factory ``factory``."""
        key = (factory, source)
        found = self.cache.get(key)
        if found is None:
            value = _profile_value(self.profiles[factory], source)
            unit = "GJ/yr" if source == "total_energy" else PROFILE_COLUMNS.get(source, "")
            found = self.cache[key] = (value, unit)
        return found


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


MEASURE_SOURCE = "measure"


def _sentence(reasons: list[FeatureContribution], measure: str, lang: Lang) -> str:
    """The main reason in words, e.g. "for LED lighting retrofit, your operating hours (8,400
    h/yr) raises the share of that energy saved, worth about 120 tCO2e/yr compared with an
    average factory"."""
    r = reasons[0] if reasons else None
    if r is None or r.tco2e is None:
        return ""
    value = human(float(r.value)) if isinstance(r.value, float | int) else str(r.value)
    verb = text("raises" if r.contribution > 0 else "lowers", lang)
    return text(
        "summary", lang, measure=measure, field=field_words(r.field, lang),
        value=f"{value} {r.unit}".strip(), verb=verb, t=human(abs(r.tco2e)),
    )  # fmt: skip


def _grouped(
    totals: np.ndarray,
    order: np.ndarray,
    sources: tuple[str, ...],
    values: _ProfileValues,
    factory: int,
    extra: dict[str, tuple[object, str]],
    limit: int | None,
    skip: int = -1,
    t_per_unit: float | None = None,
    effects: tuple[str, str] = ("", ""),
) -> list[FeatureContribution]:
    """Contributions per profile field (or extra input) in ``order`` (largest magnitude
    first), without source ``skip``; with ``t_per_unit``, each one's tCO2e and effect."""
    out: list[FeatureContribution] = []
    for j in order.tolist():
        if j == skip:
            continue
        if limit is not None and len(out) == limit:
            break
        source = sources[j]
        value, unit = extra[source] if source in extra else values.get(factory, source)
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        if not (value is None or isinstance(value, str | int | float)):
            value = str(value)
        contribution = float(totals[j])
        out.append(
            FeatureContribution(
                field=source, value=value, unit=unit, contribution=contribution,
                tco2e=None if t_per_unit is None else contribution * t_per_unit,
                effect=effects[contribution > 0] if t_per_unit is not None else "",
            )
        )  # fmt: skip
    return out


_CARRIER_OF_FIELD = {PROFILE_FIELD[c]: c for c in Carrier}


def _profile_value(profile: FactoryProfile, field: str) -> object:
    """The profile's value of a profile column, in canonical units (energy_use folded in)."""
    if field == "grid":
        return profile.grid
    if field == "total_energy":
        return sum(
            v * float(GJ_PER_CANONICAL[column(c)]) for c, v in profile.energy_by_carrier().items()
        )
    if field == "measures_in_place":
        return ";".join(profile.measures_in_place)
    if field in PROFILE_COLUMNS and hasattr(profile, field):
        carrier = _CARRIER_OF_FIELD.get(field)
        if carrier is not None:
            return profile.energy(carrier)
        value = getattr(profile, field)
        return value.value if hasattr(value, "value") else value
    return None
