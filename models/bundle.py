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
    """Hyperparameters shared by the component models."""

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    interval_alpha: float = 0.2
    random_state: int = 0
    n_jobs: int = 2


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

        identified = [k for k in set(targets["key"]) if k in catalogue.measures]
        self.applicability_: GBMClassifier | None = None
        if identified:
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
    ) -> dict[str, np.ndarray]:
        """Predictions for (factory, measure) rows: savings per carrier (median, low, high),
        tCO2e, cost savings, capex and probabilities. Arrays are aligned with the rows."""
        self._check_fitted()
        X = design_matrix(self.spec_, factories, factory_index, keys, catalogue)
        low, mid, high = self.savings_.predict_interval(X)
        use = energy_gj_matrix(factories)[factory_index]
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
        scores = self.score_pairs(factories, f_idx, keys, catalogue, kg, prices)
        results = []
        for i, profile in enumerate(profiles):
            rows = np.nonzero(f_idx == i)[0]
            results.append(
                self._one_factory(
                    profile,
                    rows,
                    keys,
                    scores,
                    kg[i],
                    options,
                    catalogue,
                    table,
                )
            )
        return results

    def _one_factory(
        self,
        profile: FactoryProfile,
        rows: np.ndarray,
        keys: np.ndarray,
        s: dict[str, np.ndarray],
        kg: np.ndarray,
        options: RecommendOptions,
        catalogue: Catalogue,
        table: FactorTable,
    ) -> FactoryRecommendations:
        r = options.discount_rate
        lifetimes = np.array([catalogue.measures[str(k)].lifetime_years for k in keys[rows]])
        crf = np.where(
            r > 0, r / (1 - (1 + r) ** -lifetimes.astype(float)), 1 / lifetimes.astype(float)
        )
        tco2e = s["tco2e"][rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            abatement = np.where(
                tco2e > 0, (s["capex"][rows] * crf - s["cost_savings"][rows]) / tco2e, np.nan
            )
        if options.objective == "most_tco2e":
            order = np.argsort(-tco2e, kind="stable")
        elif options.objective == "most_adopted_tco2e":
            order = np.argsort(-(tco2e * s["adoption"][rows]), kind="stable")
        else:
            order = np.lexsort((np.where(np.isnan(abatement), np.inf, abatement),))
        chosen: list[int] = []
        spent = 0.0
        for j in order:
            if len(chosen) == options.top_k:
                break
            capex = float(s["capex"][rows][j])
            if options.capex_budget is not None and spent + capex > options.capex_budget:
                continue
            spent += capex
            chosen.append(int(j))

        # Portfolio: each measure acts on what the ones ranked above it left.
        use = profile.energy_by_carrier()
        remaining = np.array([use[c] for c in CARRIERS])
        footprint = compute_footprint(profile, table)
        recs: list[Recommendation] = []
        explanations = (
            self._explain(rows[chosen], keys[rows[chosen]], s, profile, options) if chosen else []
        )
        for rank, j in enumerate(chosen, start=1):
            global_row = rows[j]
            measure = catalogue.measures[str(keys[global_row])]
            standalone = s["saved"][global_row]
            base = np.array([use[c] for c in CARRIERS])
            with np.errstate(divide="ignore", invalid="ignore"):
                share_left = np.where(base > 0, remaining / base, 0.0)
            in_portfolio = np.where(standalone > 0, standalone * share_left, standalone)
            remaining = np.maximum(remaining - in_portfolio, 0.0)
            capex = float(s["capex"][global_row])
            savings = float(s["cost_savings"][global_row])
            app = s.get("applicability")
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
                    abatement_cost_per_tco2e=None
                    if np.isnan(abatement[j])
                    else float(abatement[j]),
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
        factory: FactoryProfile,
        options: RecommendOptions,
    ) -> list[Explanation]:
        if options.explain == "none":
            return []
        X = s["X"][rows]
        savings = self.savings_.contributions(X)
        adoption_X = self.adoption_inputs(X, s["log_cost"][rows], s["log_savings"][rows])
        adoption = self.adoption_.contributions(adoption_X)
        sources = [c.source for c in self.spec_.columns]
        adoption_sources = [*sources, "capex", "cost_savings_per_year", "payback_years"]
        limit = None if options.explain == "full" else options.top_features
        out = []
        for k in range(len(rows)):
            capex = float(np.exp(s["log_cost"][rows[k]]))
            annual = float(s["cost_savings"][rows[k]])
            extra: dict[str, tuple[object, str]] = {
                "measure": (str(keys[k]), "catalogue id"),
                "capex": (capex, f"{self.currency_} (predicted)"),
                "cost_savings_per_year": (annual, f"{self.currency_}/yr (predicted)"),
                "payback_years": (capex / annual if annual > 0 else None, "years"),
            }
            out.append(
                Explanation(
                    savings_base_value=float(savings[k, -1]),
                    savings_prediction=float(savings[k].sum()),
                    savings=_grouped(savings[k, :-1], sources, factory, extra, limit),
                    adoption_base_value=float(adoption[k, -1]),
                    adoption_prediction=float(adoption[k].sum()),
                    adoption=_grouped(adoption[k, :-1], adoption_sources, factory, extra, limit),
                )
            )
        return out


def _grouped(
    contributions: np.ndarray,
    sources: list[str],
    factory: FactoryProfile,
    extra: dict[str, tuple[object, str]],
    limit: int | None,
) -> list[FeatureContribution]:
    """Sum contributions per profile field (or extra input), largest magnitude first."""
    totals: dict[str, float] = {}
    for value, source in zip(contributions, sources, strict=True):
        totals[source] = totals.get(source, 0.0) + float(value)
    ordered = sorted(totals.items(), key=lambda kv: -abs(kv[1]))[:limit]
    out = []
    for source, total in ordered:
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
        out.append(FeatureContribution(field=source, value=value, unit=unit, contribution=total))
    return out


def _profile_value(profile: FactoryProfile, field: str) -> object:
    """The profile's value of a profile column, in canonical units (energy_use folded in)."""
    if field == "grid":
        return profile.grid
    if field == "measures_in_place":
        return ";".join(profile.measures_in_place)
    if field in PROFILE_COLUMNS and hasattr(profile, field):
        value = getattr(profile, field)
        carrier = next((c for c in CARRIERS if PROFILE_FIELD[c] == field), None)
        if carrier is not None:
            return profile.energy(carrier)
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
