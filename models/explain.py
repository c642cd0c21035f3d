"""SHAP explanations of the savings and adoption predictions, grouped by profile field."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from features.carriers import GJ_PER_CANONICAL, column
from features.catalogue.measures import measure_name
from features.i18n import Lang, field_words, human
from features.messages import EMPTY, Message
from features.profile import PROFILE_COLUMNS, FactoryProfile
from features.units import PROFILE_FIELD, Carrier
from models.estimators import GBMClassifier, IntervalRegressor
from models.schemas import Explanation, FeatureContribution
from models.scores import Batch
from models.scoring import adoption_inputs

_ADOPTION_EXTRA = ("capex", "cost_savings_per_year", "payback_years")
MEASURE_SOURCE = "measure"


@dataclass(frozen=True)
class Explainers:
    """The models an explanation decomposes, and the profile field (source) of each design
    column."""

    savings: IntervalRegressor
    adoption: GBMClassifier
    columns: list[str]


@dataclass(frozen=True)
class _Decomposed:
    """One model's contributions of the rows explained: ``raw`` (rows, columns + 1, the base
    value last), summed per source (``by_source``, rows x ``sources``) and each row's sources
    in order of magnitude (``order``; stable: ties keep field order)."""

    raw: np.ndarray
    sources: tuple[str, ...]
    by_source: np.ndarray
    order: np.ndarray

    @classmethod
    def of(cls, raw: np.ndarray, columns: list[str]) -> _Decomposed:
        sources, by_source = _by_source(raw[:, :-1], columns)
        order = np.argsort(-np.abs(by_source), axis=1, kind="stable")
        return cls(raw, sources, by_source, order)


@dataclass(frozen=True)
class _Context:
    """What every row's explanation of one batch shares."""

    savings: _Decomposed
    adoption: _Decomposed
    values: _ProfileValues
    names: dict[str, str]
    limit: int | None
    effects: tuple[Message, Message]


@dataclass(frozen=True)
class _Row:
    """One explained row's own lookups: its factory and the inputs that are not profile fields
    (the measure, its energy, predicted money)."""

    factory: int
    extra: dict[str, tuple[object, str]]


@dataclass(frozen=True)
class _Attribution:
    """tCO2e per unit of log contribution, the source left out (-1: none) and the words for a
    contribution's effect (lowers, raises)."""

    t_per_unit: float | None = None
    skip: int = -1
    effects: tuple[Message, Message] = (EMPTY, EMPTY)


def explain_rows(batch: Batch, explainers: Explainers, rows: np.ndarray) -> list[Explanation]:
    """Explanations of candidate ``rows`` of ``batch`` (any of its factories), one call per
    model, in the batch's language."""
    options = batch.options
    if options.explain == "none" or len(rows) == 0:
        return []
    s = batch.scores
    X = s.X[rows]
    adoption_X = adoption_inputs(X, s.log_cost[rows], s.log_savings[rows])
    context = _Context(
        savings=_Decomposed.of(explainers.savings.contributions(X), explainers.columns),
        adoption=_Decomposed.of(
            explainers.adoption.contributions(adoption_X), [*explainers.columns, *_ADOPTION_EXTRA]
        ),
        values=_ProfileValues(batch.profiles),
        names={m.id: measure_name(m, options.lang) for m in batch.catalogue.measures.values()},
        limit=None if options.explain == "full" else options.top_features,
        effects=(Message("lowers_share", options.lang), Message("raises_share", options.lang)),
    )
    return [_explain(batch, context, k, int(row)) for k, row in enumerate(rows)]


def _extra_inputs(batch: Batch, row: int) -> _Row:
    s = batch.scores
    capex = float(s.capex[row])
    annual = float(s.cost_savings[row])
    f = int(batch.found.factory_index[row])
    currency = batch.currencies[f]
    extra: dict[str, tuple[object, str]] = {
        "measure": (str(batch.found.keys[row]), "catalogue id"),
        "end_uses": (float(s.targeted_gj[row]), "GJ/yr"),
        "capex": (capex, f"{currency} (predicted)"),
        "cost_savings_per_year": (annual, f"{currency}/yr (predicted)"),
        "payback_years": (capex / annual if annual > 0 else None, "years"),
    }
    return _Row(f, extra)


def _explain(batch: Batch, context: _Context, k: int, row: int) -> Explanation:
    """The explanation of candidate ``row``, the ``k``-th row explained."""
    lookups = _extra_inputs(batch, row)
    savings, adoption = context.savings, context.adoption
    measure = savings.sources.index(MEASURE_SOURCE) if MEASURE_SOURCE in savings.sources else -1
    # The measure's identity and attributes are the base, not a reason.
    by_source = savings.by_source[k]
    base = float(savings.raw[k, -1])
    if measure >= 0:
        base += float(by_source[measure])
    prediction = float(savings.raw[k].sum())
    # Apportion the tCO2e above (or below) the measure's average in proportion to the log
    # contributions: tCO2e at the base = tCO2e x exp(base - prediction).
    t = float(batch.scores.tco2e[row])
    spread = t - t * math.exp(base - prediction)
    total = float(by_source.sum()) - (float(by_source[measure]) if measure >= 0 else 0.0)
    t_per_unit = spread / total if abs(total) > 1e-12 else 0.0
    attribution = _Attribution(t_per_unit, measure, context.effects)
    reasons = _grouped(savings, k, context, lookups, attribution)
    key = str(batch.found.keys[row])
    return Explanation(
        savings_base_value=base,
        savings_prediction=prediction,
        savings=reasons,
        summary=_sentence(reasons, context.names.get(key, key), batch.options.lang),
        adoption_base_value=float(adoption.raw[k, -1]),
        adoption_prediction=float(adoption.raw[k].sum()),
        adoption=_grouped(adoption, k, context, lookups, _Attribution()),
    )


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


def _sentence(reasons: list[FeatureContribution], measure: str, lang: Lang) -> Message:
    """The main reason in words, e.g. "for LED lighting retrofit, your operating hours (8,400
    h/yr) raises the share of that energy saved, worth about 120 tCO2e/yr compared with an
    average factory"."""
    r = reasons[0] if reasons else None
    if r is None or r.tco2e is None:
        return EMPTY
    value = human(float(r.value)) if isinstance(r.value, float | int) else str(r.value)
    verb = Message("raises" if r.contribution > 0 else "lowers", lang)
    return Message(
        "summary",
        lang,
        measure=measure,
        field=field_words(r.field, lang),
        value=f"{value} {r.unit}".strip(),
        verb=verb,
        t=human(abs(r.tco2e)),
    )


def _grouped(
    part: _Decomposed, k: int, context: _Context, lookups: _Row, attribution: _Attribution
) -> list[FeatureContribution]:
    """Row ``k``'s contributions per profile field (or extra input), largest magnitude first,
    without source ``attribution.skip``; with ``attribution.t_per_unit``, each one's tCO2e and
    effect."""
    totals, sources = part.by_source[k], part.sources
    t_per_unit, effects = attribution.t_per_unit, attribution.effects
    out: list[FeatureContribution] = []
    for j in part.order[k].tolist():
        if j == attribution.skip:
            continue
        if context.limit is not None and len(out) == context.limit:
            break
        source = sources[j]
        value, unit = (
            lookups.extra[source]
            if source in lookups.extra
            else context.values.get(lookups.factory, source)
        )
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        if not (value is None or isinstance(value, str | int | float)):
            value = str(value)
        contribution = float(totals[j])
        out.append(
            FeatureContribution(
                field=source,
                value=value,
                unit=unit,
                contribution=contribution,
                tco2e=None if t_per_unit is None else contribution * t_per_unit,
                effect=effects[contribution > 0] if t_per_unit is not None else EMPTY,
            )
        )
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
