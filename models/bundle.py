"""The recommendation bundle: every component model plus what it needs to score a factory.

One model across all measures, with measure attributes as inputs, so rare measures borrow
strength from similar ones:

- ``savings_``: log fraction of addressable energy saved, median and conformal interval;
- ``increase_``: log ratio of energy added to energy saved (electrification, fuel switching);
- ``cost_``: log implementation cost;
- ``adoption_``: probability of implementation given cost, savings and payback;
- ``applicability_``: probability an auditor recommends the measure (only with measure identity).

Scoring is vectorised over all candidate (factory, measure) pairs of a batch; explanations are
computed only for the rows returned.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.accounting import compute_footprint
from features.applicability import applicable_matrix
from features.catalogue import Catalogue
from features.design import DesignSpec, design_matrix, energy_gj_matrix
from features.emission_factors import FactorTable
from features.prices import price_matrix
from features.profile import PROFILE_COLUMNS, FactoryProfile
from features.regions import Country
from features.table import Table, profile_table
from features.targets import MAX_FRACTION, carrier_masks, outcome_targets
from features.units import GJ_PER_KWH, PROFILE_FIELD, Carrier
from models.estimators import GBMClassifier, GBMRegressor, IntervalRegressor
from models.schemas import (
    Explanation,
    FactoryRecommendations,
    FeatureContribution,
    MarketInstrument,
    Pathway,
    Recommendation,
    RecommendOptions,
)

CARRIERS = list(Carrier)
_TO_GJ = np.array([GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0 for c in CARRIERS])


@dataclass(frozen=True)
class BundleConfig:
    """Hyperparameters shared by the component models.

    The defaults keep trees shallow (depth 5): exact SHAP costs grow with trees x leaves x
    depth squared, and on the generated benchmark they are as accurate as 300 unbounded trees of
    31 leaves (docs/evaluation.md) at about a tenth of the explanation cost.
    """

    n_estimators: int = 150
    learning_rate: float = 0.1
    num_leaves: int = 24
    max_depth: int = 5
    min_child_samples: int = 20
    interval_alpha: float = 0.2
    random_state: int = 0
    n_jobs: int = 2


#: Outcomes naming a catalogue measure needed before the applicability model is trained.
MIN_IDENTIFIED_OUTCOMES = 200


COARSE_MODEL_WARNING = (
    "this model was trained on outcomes without measure identity (coarse groups only): it "
    "cannot tell catalogue measures apart, so the ranking and per-measure numbers are not "
    "meaningful; use a model trained on data that names measures"
)


class NotFittedError(RuntimeError):
    """The bundle was used before ``fit``."""


class RecommendationBundle:
    """All component models, the measure vocabulary and the versions they were trained with."""

    def __init__(self, config: BundleConfig | None = None) -> None:
        self.config = config or BundleConfig()

    # --- training ---------------------------------------------------------------------------
    def _kwargs(self, spec: DesignSpec) -> dict[str, object]:
        c = self.config
        return {
            "n_estimators": c.n_estimators,
            "learning_rate": c.learning_rate,
            "num_leaves": c.num_leaves,
            "max_depth": c.max_depth,
            "min_child_samples": c.min_child_samples,
            "categorical_features": tuple(spec.categorical_indices),
            "random_state": c.random_state,
            "n_jobs": c.n_jobs,
        }

    def fit(
        self,
        factories: pd.DataFrame,
        outcomes: pd.DataFrame,
        catalogue: Catalogue | None = None,
        table: FactorTable | None = None,
    ) -> RecommendationBundle:
        """Train every component on ``outcomes`` of ``factories`` (no ground truth used)."""
        catalogue = catalogue or Catalogue.default()
        table = table or FactorTable.default()
        factories = factories.reset_index(drop=True)
        targets = outcome_targets(factories, outcomes, catalogue)
        physical = [m.id for m in catalogue.measures.values() if m.reduction_kind == "physical"]
        keys = sorted(set(targets["key"]) | set(physical))
        spec = DesignSpec(measure_keys=tuple(keys))
        kwargs = self._kwargs(spec)
        X = design_matrix(
            spec, factories, targets["factory_row"].to_numpy(), targets["key"].to_numpy(),
            catalogue,
        )  # fmt: skip
        groups = targets["factory_row"].to_numpy()

        y = targets["log_fraction"].to_numpy()
        rows = ~np.isnan(y)
        if rows.sum() < 20:
            raise ValueError(f"only {int(rows.sum())} outcomes with energy savings; need >= 20")
        self.savings_ = IntervalRegressor(alpha=self.config.interval_alpha, **kwargs).fit(  # type: ignore[arg-type]
            X[rows], y[rows], groups[rows]
        )
        y = targets["log_increase_ratio"].to_numpy()
        rows = ~np.isnan(y)
        self.increase_: GBMRegressor | None = (
            GBMRegressor(**kwargs).fit(X[rows], y[rows]) if rows.sum() >= 20 else None  # type: ignore[arg-type]
        )
        y = targets["log_cost"].to_numpy()
        rows = ~np.isnan(y)
        self.cost_ = GBMRegressor(**kwargs).fit(X[rows], y[rows])  # type: ignore[arg-type]
        adoption_X = self.adoption_inputs(
            X, targets["log_cost"].to_numpy(), targets["log_cost_savings"].to_numpy()
        )
        y = targets["implemented"].to_numpy()
        rows = ~np.isnan(y)
        self.adoption_ = GBMClassifier(**kwargs).fit(adoption_X[rows], y[rows])  # type: ignore[arg-type]

        identified = int(targets["key"].isin(list(catalogue.measures)).sum())
        self.n_identified_outcomes_ = identified
        self.applicability_: GBMClassifier | None = None
        # Which measures auditors recommend can only be learned from outcomes that name them; a
        # handful among coarse groups (3 of 148k in the IAC release here) would teach noise.
        if identified >= MIN_IDENTIFIED_OUTCOMES:
            self.applicability_ = self._fit_applicability(
                spec, factories, targets, catalogue, kwargs
            )
        self.spec_ = spec
        currencies = outcomes["currency"].dropna().astype(str)
        self.currency_ = currencies.mode().iloc[0] if len(currencies) else "USD"
        self.catalogue_version_ = catalogue.version
        self.factor_table_version_ = table.version
        self.n_training_outcomes_ = len(outcomes)
        return self

    @staticmethod
    def adoption_inputs(X: np.ndarray, log_cost: np.ndarray, log_savings: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            payback = np.clip(np.exp(log_cost - log_savings), 0, 50)
        return np.column_stack([X, log_cost, log_savings, payback])

    def _fit_applicability(
        self,
        spec: DesignSpec,
        factories: pd.DataFrame,
        targets: pd.DataFrame,
        catalogue: Catalogue,
        kwargs: dict[str, object],
    ) -> GBMClassifier:
        measures = [catalogue.measures[k] for k in spec.measure_keys if k in catalogue.measures]
        measures = [m for m in measures if m.reduction_kind == "physical"]
        allowed = applicable_matrix(factories, measures)
        f_idx, m_idx = np.nonzero(allowed)
        keys = np.array([m.id for m in measures])[m_idx]
        recommended = set(zip(targets["factory_row"], targets["key"], strict=True))
        label = np.array(
            [(int(f), k) in recommended for f, k in zip(f_idx, keys, strict=True)], dtype=float
        )
        X = design_matrix(spec, factories, f_idx, keys, catalogue)
        return GBMClassifier(**kwargs).fit(X, label)  # type: ignore[arg-type]

    @property
    def ranks_measures(self) -> bool:
        """Whether the training outcomes named catalogue measures often enough for the models to
        tell measures apart (False for coarse groups only, like the IAC release here)."""
        identified = getattr(self, "n_identified_outcomes_", None)
        if identified is None:  # bundles pickled before the count existed
            return getattr(self, "applicability_", None) is not None
        return bool(identified >= MIN_IDENTIFIED_OUTCOMES)

    # --- scoring ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "spec_"):
            raise NotFittedError("RecommendationBundle is not fitted; call fit() first")

    def score_pairs(
        self,
        factories: Table,
        factory_index: np.ndarray,
        keys: np.ndarray,
        catalogue: Catalogue,
        kg_per_unit: np.ndarray,
        prices: np.ndarray,
        energy_gj: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Predictions for (factory, measure) rows: savings per carrier (median, low, high),
        tCO2e, cost savings, capex and probabilities. Arrays are aligned with the rows.

        ``energy_gj``: :func:`energy_gj_matrix` of ``factories`` if the caller already has it.
        """
        self._check_fitted()
        energy = energy_gj_matrix(factories) if energy_gj is None else energy_gj
        X = design_matrix(self.spec_, factories, factory_index, keys, catalogue, energy)
        low, mid, high = self.savings_.predict_interval(X)
        use = energy[factory_index]
        reduced, increased = carrier_masks(keys, catalogue)
        ratio = (
            np.exp(self.increase_.predict(X)) if self.increase_ is not None else np.ones(len(keys))
        )

        def saved_units(log_fraction: np.ndarray) -> np.ndarray:
            fraction = np.exp(np.minimum(log_fraction, math.log(MAX_FRACTION)))
            saved_gj = np.where(reduced, use, 0.0) * fraction[:, None]
            total = saved_gj.sum(axis=1)
            n_increased = np.maximum(increased.sum(axis=1), 1)
            added_gj = np.where(increased, (ratio * total / n_increased)[:, None], 0.0)
            canonical: np.ndarray = (saved_gj - added_gj) / _TO_GJ
            return canonical

        factors = kg_per_unit[factory_index]
        saved_mid, saved_low, saved_high = saved_units(mid), saved_units(low), saved_units(high)
        t_mid = (saved_mid * factors).sum(axis=1) / 1000
        t_a = (saved_low * factors).sum(axis=1) / 1000
        t_b = (saved_high * factors).sum(axis=1) / 1000
        cost_savings = (saved_mid * prices[factory_index]).sum(axis=1)
        log_cost = self.cost_.predict(X)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_savings = np.where(cost_savings > 0, np.log(cost_savings), np.nan)
        adoption = self.adoption_.predict_proba(self.adoption_inputs(X, log_cost, log_savings))
        applicability = (
            self.applicability_.predict_proba(X) if self.applicability_ is not None else None
        )
        result = {
            "X": X,
            "log_fraction": mid,
            "saved": saved_mid,
            "tco2e": t_mid,
            "tco2e_low": np.minimum.reduce([t_a, t_b, t_mid]),
            "tco2e_high": np.maximum.reduce([t_a, t_b, t_mid]),
            "cost_savings": cost_savings,
            "capex": np.exp(log_cost),
            "log_cost": log_cost,
            "log_savings": log_savings,
            "adoption": adoption,
        }
        if applicability is not None:
            result["applicability"] = applicability
        return result

    def recommend(
        self,
        profiles: list[FactoryProfile],
        options: RecommendOptions | None = None,
        table: FactorTable | None = None,
        catalogue: Catalogue | None = None,
    ) -> list[FactoryRecommendations]:
        """Ranked measures, portfolio and pathway for each profile, scored in one pass."""
        self._check_fitted()
        options = options or RecommendOptions()
        table = table or FactorTable.default()
        catalogue = catalogue or Catalogue.default()
        factories = profile_table(profiles)  # plain lists: no pandas on the request path
        measures = [
            catalogue.measures[k] for k in self.spec_.measure_keys if k in catalogue.measures
        ]
        measures = [m for m in measures if m.reduction_kind == "physical"]
        allowed = applicable_matrix(factories, measures)
        f_idx, m_idx = np.nonzero(allowed)
        keys = np.array([m.id for m in measures])[m_idx] if measures else np.array([])
        kg = factor_matrix(profiles, table)
        prices = price_matrix(factories, self.currency_)
        energy = energy_gj_matrix(factories)
        scores = self.score_pairs(factories, f_idx, keys, catalogue, kg, prices, energy)
        # f_idx is sorted (row-major nonzero): factory i owns rows bounds[i]:bounds[i + 1].
        bounds = np.searchsorted(f_idx, np.arange(len(profiles) + 1))
        lifetimes = catalogue.arrays.lifetime[catalogue.arrays.rows(keys)]
        chosen = [
            self._rank(np.arange(bounds[i], bounds[i + 1]), lifetimes, scores, options)
            for i in range(len(profiles))
        ]
        # Explanations for every returned row of the batch in one call per model.
        explained = np.concatenate([rows for rows, _ in chosen]).astype(np.intp)
        explanations = self._explain(explained, keys, scores, profiles, f_idx, options)
        results = []
        start = 0
        for i, profile in enumerate(profiles):
            rows, abatement = chosen[i]
            end = start + len(rows)
            results.append(
                self._one_factory(
                    profile,
                    np.arange(bounds[i], bounds[i + 1]),
                    rows,
                    abatement,
                    keys,
                    scores,
                    kg[i],
                    explanations[start:end] if explanations else [],
                    catalogue,
                    table,
                )
            )
            start = end
        return results

    @staticmethod
    def _rank(
        rows: np.ndarray, lifetimes: np.ndarray, s: dict[str, np.ndarray], options: RecommendOptions
    ) -> tuple[np.ndarray, np.ndarray]:
        """The returned rows of one factory, in rank order, and their abatement cost per tCO2e."""
        r = options.discount_rate
        crf = r / (1 - (1 + r) ** -lifetimes[rows]) if r > 0 else 1 / lifetimes[rows]
        tco2e = s["tco2e"][rows]
        capex = s["capex"][rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            abatement = np.where(tco2e > 0, (capex * crf - s["cost_savings"][rows]) / tco2e, np.nan)
        if options.objective == "most_tco2e":
            order = np.argsort(-tco2e, kind="stable")
        elif options.objective == "most_adopted_tco2e":
            order = np.argsort(-(tco2e * s["adoption"][rows]), kind="stable")
        else:
            order = np.lexsort((np.where(np.isnan(abatement), np.inf, abatement),))
        if options.capex_budget is None:
            picked = order[: options.top_k]
        else:
            picked_list: list[int] = []
            spent = 0.0
            for j in order:
                if len(picked_list) == options.top_k:
                    break
                if spent + capex[j] > options.capex_budget:
                    continue
                spent += float(capex[j])
                picked_list.append(int(j))
            picked = np.array(picked_list, dtype=np.intp)
        return rows[picked], abatement[picked]

    def _one_factory(
        self,
        profile: FactoryProfile,
        rows: np.ndarray,
        chosen: np.ndarray,
        abatement: np.ndarray,
        keys: np.ndarray,
        s: dict[str, np.ndarray],
        kg: np.ndarray,
        explanations: list[Explanation],
        catalogue: Catalogue,
        table: FactorTable,
    ) -> FactoryRecommendations:
        # Portfolio: each measure acts on what the ones ranked above it left.
        use = profile.energy_by_carrier()
        base = np.array([use[c] for c in CARRIERS])
        remaining = base.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse_base = np.where(base > 0, 1 / base, 0.0)
        footprint = compute_footprint(profile, table)
        recs: list[Recommendation] = []
        app = s.get("applicability")
        for rank, global_row in enumerate(chosen, start=1):
            measure = catalogue.measures[str(keys[global_row])]
            standalone = s["saved"][global_row]
            in_portfolio = np.where(
                standalone > 0, standalone * remaining * inverse_base, standalone
            )
            remaining = np.maximum(remaining - in_portfolio, 0.0)
            capex = float(s["capex"][global_row])
            savings = float(s["cost_savings"][global_row])
            cost_per_t = float(abatement[rank - 1])
            recs.append(
                Recommendation(
                    rank=rank,
                    measure_id=measure.id,
                    name=measure.name,
                    family=measure.family.value,
                    tco2e_avoided=float(s["tco2e"][global_row]),
                    tco2e_low=float(s["tco2e_low"][global_row]),
                    tco2e_high=float(s["tco2e_high"][global_row]),
                    energy_saved={
                        c: float(v) for c, v in zip(CARRIERS, standalone, strict=True) if v
                    },
                    cost_savings_per_year=savings,
                    capex=capex,
                    payback_years=capex / savings if savings > 0 else None,
                    abatement_cost_per_tco2e=None if math.isnan(cost_per_t) else cost_per_t,
                    adoption_probability=float(s["adoption"][global_row]),
                    recommendation_probability=None if app is None else float(app[global_row]),
                    portfolio_tco2e_avoided=float((in_portfolio * kg).sum() / 1000),
                    explanation=explanations[rank - 1] if explanations else None,
                )
            )
        return FactoryRecommendations(
            factory_id=profile.factory_id,
            currency=self.currency_,
            footprint=footprint,
            recommendations=recs,
            market_instruments=self._market_instruments(profile, remaining, table, catalogue),
            pathway=self._pathway(
                footprint.total_location_tco2e, recs, remaining, kg, rows, keys, s
            ),
            candidates_considered=len(rows),
            factor_table_version=table.version,
            catalogue_version=catalogue.version,
            warnings=[] if self.ranks_measures else [COARSE_MODEL_WARNING],
        )

    def _pathway(
        self,
        baseline: float,
        recs: list[Recommendation],
        remaining: np.ndarray,
        kg: np.ndarray,
        rows: np.ndarray,
        keys: np.ndarray,
        s: dict[str, np.ndarray],
    ) -> Pathway:
        avoided = sum(r.portfolio_tco2e_avoided for r in recs)
        elec = CARRIERS.index(Carrier.ELECTRICITY)
        remaining_elec_t = float(remaining[elec] * kg[elec] / 1000)
        pv_rows = rows[keys[rows] == "rooftop_pv"]
        pv = float(s["saved"][pv_rows[0], elec]) if len(pv_rows) else None
        after = baseline - avoided
        return Pathway(
            baseline_tco2e=baseline,
            portfolio_tco2e_avoided=avoided,
            after_portfolio_tco2e=after,
            remaining_electricity_kwh=float(remaining[elec]),
            remaining_electricity_tco2e=remaining_elec_t,
            onsite_pv_kwh_potential=pv,
            green_electricity_could_avoid_tco2e=remaining_elec_t,
            remaining_after_green_electricity_tco2e=after - remaining_elec_t,
        )

    @staticmethod
    def _market_instruments(
        profile: FactoryProfile, remaining: np.ndarray, table: FactorTable, catalogue: Catalogue
    ) -> list[MarketInstrument]:
        grid_kwh = max(
            float(remaining[CARRIERS.index(Carrier.ELECTRICITY)])
            - profile.green_electricity_contract_kwh
            - profile.green_certificates_kwh,
            0.0,
        )
        factor = table.resolve(
            Carrier.ELECTRICITY, profile.country, profile.region, profile.reporting_year
        ).kgco2e_per_unit
        out = []
        for m in catalogue.measures.values():
            if m.reduction_kind == "physical" or m.id in profile.measures_in_place:
                continue
            out.append(
                MarketInstrument(
                    measure_id=m.id,
                    name=m.name,
                    reduction_kind=m.reduction_kind,
                    covers_electricity_kwh=grid_kwh,
                    market_based_tco2e_avoided=grid_kwh * factor / 1000,
                    note="market-based scope 2 only; no physical reduction"
                    if m.reduction_kind == "certificate"
                    else "market-based scope 2; adds renewable supply but not on-site",
                )
            )
        return out

    def _explain(
        self,
        rows: np.ndarray,
        keys: np.ndarray,
        s: dict[str, np.ndarray],
        profiles: list[FactoryProfile],
        factory_index: np.ndarray,
        options: RecommendOptions,
    ) -> list[Explanation]:
        """Explanations of the given rows (any factories of the batch), one call per model."""
        if options.explain == "none" or len(rows) == 0:
            return []
        X = s["X"][rows]
        savings = self.savings_.contributions(X)
        adoption_X = self.adoption_inputs(X, s["log_cost"][rows], s["log_savings"][rows])
        adoption = self.adoption_.contributions(adoption_X)
        columns = [c.source for c in self.spec_.columns]
        sources, savings_by_source = _by_source(savings[:, :-1], columns)
        adoption_sources, adoption_by_source = _by_source(
            adoption[:, :-1], [*columns, *_ADOPTION_EXTRA]
        )
        limit = None if options.explain == "full" else options.top_features
        out = []
        for k, row in enumerate(rows):
            capex = float(np.exp(s["log_cost"][row]))
            annual = float(s["cost_savings"][row])
            extra: dict[str, tuple[object, str]] = {
                "measure": (str(keys[row]), "catalogue id"),
                "capex": (capex, f"{self.currency_} (predicted)"),
                "cost_savings_per_year": (annual, f"{self.currency_}/yr (predicted)"),
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
                    adoption=_grouped(
                        adoption_by_source[k], adoption_sources, factory, extra, limit
                    ),
                )
            )
        return out


_ADOPTION_EXTRA = ("capex", "cost_savings_per_year", "payback_years")


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


_CARRIER_OF_FIELD = {PROFILE_FIELD[c]: c for c in CARRIERS}


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


def factor_matrix(profiles: list[FactoryProfile], table: FactorTable) -> np.ndarray:
    """(factories, carriers) location-based kg CO2e per canonical unit."""
    cache: dict[tuple[Country, str, int], list[float]] = {}
    out = np.zeros((len(profiles), len(CARRIERS)))
    for i, p in enumerate(profiles):
        key = (p.country, p.region, p.reporting_year)
        if key not in cache:
            cache[key] = [table.resolve(c, *key).kgco2e_per_unit for c in CARRIERS]
        out[i] = cache[key]
    return out
