"""The recommendation bundle: every component model plus what it needs to score a factory.

One model across all measures, with measure attributes as inputs, so rare measures borrow
strength from similar ones:

- ``savings_``: log fraction of the energy of the measure's end uses saved (on the carriers it
  reduces), median and conformal interval;
- ``side_``: signed side effect on any carrier, as a fraction of the same energy (learned for
  measures that are not conversions; conversions add energy by physics,
  :mod:`features.enduses.physics`);
- ``cost_``: log implementation cost;
- ``adoption_``: probability of implementation given cost, savings and payback;
- ``applicability_``: probability an auditor recommends the measure (only with measure identity).

Scoring is vectorised over all candidate (factory, measure) pairs of a batch
(:func:`features.applicability.candidate_pairs`); a measure never displaces more than its end
uses hold or its physical cap allows. Decisions (ranking, portfolio, pathway) live in
:mod:`models.decisions`, explanations in :mod:`models.explain`; they are computed only for the
rows returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.applicability import candidate_pairs
from features.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue import Catalogue
from features.design import USD_PER, DesignSpec, design_matrix
from features.emission_factors import FactorTable
from features.enduses.physics import conversion_added
from features.prices import price_matrix
from features.profile import FactoryProfile
from features.regions import Country
from features.routes.emissions import table_lines
from features.routes.estimate import estimate
from features.table import Table, profile_table
from features.targets import MAX_FRACTION, carrier_masks, outcome_targets
from features.units import GJ_PER_KWH, Carrier
from models.decisions import assemble_factory, rank_rows
from models.estimators import GBMClassifier, GBMRegressor, IntervalRegressor
from models.explain import explain_rows
from models.schemas import FactoryRecommendations, RecommendOptions

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
        energy = FactoryEnergy.of(factories)
        targets = outcome_targets(factories, outcomes, catalogue, energy)
        physical = [
            m.id
            for m in catalogue.measures.values()
            if m.reduction_kind == "physical" and m.route is None
        ]
        keys = sorted(set(targets["key"]) | set(physical))
        spec = DesignSpec(measure_keys=tuple(keys))
        kwargs = self._kwargs(spec)
        found = pairs(
            energy, targets["factory_row"].to_numpy(), targets["key"].to_numpy(), catalogue
        )
        X = design_matrix(spec, energy, found, catalogue)
        groups = targets["factory_row"].to_numpy()

        y = targets["log_fraction"].to_numpy()
        rows = ~np.isnan(y)
        if rows.sum() < 20:
            raise ValueError(f"only {int(rows.sum())} outcomes with energy savings; need >= 20")
        self.savings_ = IntervalRegressor(alpha=self.config.interval_alpha, **kwargs).fit(  # type: ignore[arg-type]
            X[rows], y[rows], groups[rows]
        )
        # Side effects of measures that are not conversions, from every carrier reported.
        y = targets["side_fraction"].to_numpy()
        conversion = np.array([c is not None for c in found.conversions], dtype=bool)
        rows = ~np.isnan(y) & ~conversion
        self.side_: GBMRegressor | None = (
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
            self.applicability_ = self._fit_applicability(spec, energy, targets, catalogue, kwargs)
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
        energy: FactoryEnergy,
        targets: pd.DataFrame,
        catalogue: Catalogue,
        kwargs: dict[str, object],
    ) -> GBMClassifier:
        measures = [catalogue.measures[k] for k in spec.measure_keys if k in catalogue.measures]
        measures = [m for m in measures if m.reduction_kind == "physical"]
        found = candidate_pairs(energy, measures, catalogue)
        recommended = set(zip(targets["factory_row"], targets["key"], strict=True))
        label = np.array(
            [
                (int(f), str(k)) in recommended
                for f, k in zip(found.factory_index, found.keys, strict=True)
            ],
            dtype=float,
        )
        X = design_matrix(spec, energy, found, catalogue)
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
        energy: FactoryEnergy,
        found: Pairs,
        catalogue: Catalogue,
        kg_per_unit: np.ndarray,
        prices: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Predictions for the (factory, measure) rows of ``found``: energy change per carrier
        (median, low, high), tCO2e, cost savings, capex and probabilities, aligned with the rows.

        The savings model's fraction is capped by ``found.cap`` (never more than the end uses
        hold, nor than the site's physics allow); conversions add energy by physics, other
        measures their learned side effect.
        """
        self._check_fitted()
        X = design_matrix(self.spec_, energy, found, catalogue)
        low, mid, high = self.savings_.predict_interval(X)
        _, increased = carrier_masks(found.keys, catalogue)
        targeted = found.targeted_gj
        total = targeted.sum(axis=1)
        is_conversion = np.array([c is not None for c in found.conversions], dtype=bool)
        side = self.side_.predict(X) if self.side_ is not None else np.zeros(len(found))
        side = np.where(is_conversion, 0.0, side)
        # Side effects go to the carriers the catalogue says a measure adds, else to the
        # carriers it acts on (a rebound on the same carrier), in proportion to their use.
        n_inc = increased.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(
                n_inc > 0,
                increased / np.maximum(n_inc, 1),
                np.where(total[:, None] > 0, targeted / total[:, None], 0.0),
            )
        side_gj = (side * total)[:, None] * spread
        reduced, _ = carrier_masks(found.keys, catalogue)
        chp_elec = np.zeros_like(reduced)
        chp_elec[:, CARRIERS.index(Carrier.ELECTRICITY)] = [c == "chp" for c in found.conversions]
        ceiling = np.where(reduced, targeted, np.where(chp_elec, np.inf, 0.0))

        def net_units(log_fraction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            fraction = np.minimum(np.exp(np.minimum(log_fraction, math.log(MAX_FRACTION))),
                                  found.cap)  # fmt: skip
            displaced = targeted * fraction[:, None]
            by_use = found.by_use_gj * fraction[:, None]
            added = conversion_added(
                found.conversions, displaced, by_use, energy.factories, found.factory_index
            )
            # Physics bound: no carrier saves more than the measure's end uses hold on it, and
            # carriers it does not act on can only rise (CHP's generated electricity aside).
            net = np.minimum(displaced - added + side_gj, ceiling)
            canonical: np.ndarray = net / _TO_GJ
            return canonical, fraction

        factors = kg_per_unit[found.factory_index]
        saved_mid, fraction_mid = net_units(mid)
        saved_low, _ = net_units(low)
        saved_high, _ = net_units(high)
        t_mid = (saved_mid * factors).sum(axis=1) / 1000
        t_a = (saved_low * factors).sum(axis=1) / 1000
        t_b = (saved_high * factors).sum(axis=1) / 1000
        cost_savings = (saved_mid * prices[found.factory_index]).sum(axis=1)
        gross_value = (np.clip(saved_mid, 0, None) * prices[found.factory_index]).sum(axis=1)
        log_cost = self.cost_.predict(X)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_savings = np.where(cost_savings > 0, np.log(cost_savings), np.nan)
        adoption = self.adoption_.predict_proba(self.adoption_inputs(X, log_cost, log_savings))
        result = {
            "X": X,
            "log_fraction": mid,
            "fraction": fraction_mid,
            "targeted_gj": total,
            "saved": saved_mid,
            "tco2e": t_mid,
            "tco2e_low": np.minimum.reduce([t_a, t_b, t_mid]),
            "tco2e_high": np.maximum.reduce([t_a, t_b, t_mid]),
            "cost_savings": cost_savings,
            "gross_value": gross_value,
            "capex": np.exp(log_cost),
            "log_cost": log_cost,
            "log_savings": log_savings,
            "adoption": adoption,
        }
        if self.applicability_ is not None:
            result["applicability"] = self.applicability_.predict_proba(X)
        _apply_route_estimates(
            result, energy, found, catalogue, kg_per_unit, prices, self.currency_
        )
        return result

    def score_candidates(
        self,
        factories: Table,
        profiles: list[FactoryProfile],
        table: FactorTable,
        catalogue: Catalogue,
    ) -> tuple[FactoryEnergy, Pairs, dict[str, np.ndarray], np.ndarray]:
        """Every candidate pair of a batch, scored: (energy, pairs, scores, kg per unit)."""
        self._check_fitted()
        known = set(self.spec_.measure_keys)
        # Route measures are estimated by engineering arithmetic, whatever the training saw.
        measures = [
            m
            for m in catalogue.measures.values()
            if m.reduction_kind == "physical" and (m.id in known or m.route is not None)
        ]
        energy = FactoryEnergy.of(factories)
        found = candidate_pairs(energy, measures, catalogue)
        kg = factor_matrix(profiles, table)
        prices = price_matrix(factories, self.currency_)
        return energy, found, self.score_pairs(energy, found, catalogue, kg, prices), kg

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
        energy, found, scores, kg = self.score_candidates(factories, profiles, table, catalogue)
        keys = found.keys
        # Factory-major rows: factory i owns rows bounds[i]:bounds[i + 1].
        bounds = np.searchsorted(found.factory_index, np.arange(len(profiles) + 1))
        lifetimes = catalogue.arrays.lifetime[catalogue.arrays.rows(keys)]
        chosen = [
            rank_rows(np.arange(bounds[i], bounds[i + 1]), lifetimes, scores, options)
            for i in range(len(profiles))
        ]
        # Explanations for every returned row of the batch in one call per model.
        explained = np.concatenate([c.rows for c in chosen]).astype(np.intp)
        X = scores["X"][explained]
        explanations = explain_rows(
            self.savings_,
            self.adoption_,
            self.adoption_inputs(
                X, scores["log_cost"][explained], scores["log_savings"][explained]
            ),
            X,
            [c.source for c in self.spec_.columns],
            explained,
            keys,
            scores,
            profiles,
            found.factory_index,
            options,
            self.currency_,
        )
        results = []
        start = 0
        for i, profile in enumerate(profiles):
            end = start + len(chosen[i].rows)
            results.append(
                assemble_factory(
                    profile,
                    energy.cells_gj(i),
                    found,
                    chosen[i],
                    scores,
                    kg[i],
                    explanations[start:end] if explanations else [],
                    catalogue,
                    table,
                    self.currency_,
                    [] if self.ranks_measures else [COARSE_MODEL_WARNING],
                    int(bounds[i + 1] - bounds[i]),
                )
            )
            start = end
        return results


def _apply_route_estimates(
    result: dict[str, np.ndarray],
    energy: FactoryEnergy,
    found: Pairs,
    catalogue: Catalogue,
    kg_per_unit: np.ndarray,
    prices: np.ndarray,
    currency: str,
) -> None:
    """Replace the learned numbers of route-measure rows by their engineering estimates
    (features.routes.estimate); ``engineering`` marks them, ``process_tco2e`` holds the part
    of their tCO2e that is process emissions removed or CO2 captured."""
    n = len(found)
    engineering = np.zeros(n, dtype=bool)
    process = np.zeros(n)
    rows = [
        i
        for i, key in enumerate(found.keys.tolist())
        if key in catalogue.measures and catalogue.measures[key].route is not None
    ]
    result["engineering"] = engineering
    result["process_tco2e"] = process
    if not rows:
        return
    lines = table_lines(energy.factories)
    for name in ("adoption", "applicability", "log_fraction"):
        if name in result:
            result[name] = result[name].astype(float, copy=True)
    for i in rows:
        f = int(found.factory_index[i])
        effect = catalogue.measures[str(found.keys[i])].route
        assert effect is not None
        est = estimate(effect, lines[f], found.targeted_gj[i], energy.energy_gj[f], kg_per_unit[f])
        t = (est.saved * kg_per_unit[f]).sum(axis=1) / 1000 + est.process_tco2e + est.captured_tco2
        engineering[i] = True
        process[i] = est.process_tco2e[1] + est.captured_tco2[1]
        result["saved"][i] = est.saved[1]
        result["tco2e"][i] = t[1]
        result["tco2e_low"][i] = t.min()
        result["tco2e_high"][i] = t.max()
        result["fraction"][i] = est.fraction
        result["cost_savings"][i] = float((est.saved[1] * prices[f]).sum())
        result["gross_value"][i] = float((np.clip(est.saved[1], 0, None) * prices[f]).sum())
        capex = est.capex_usd / USD_PER[currency]
        result["capex"][i] = capex
        result["log_cost"][i] = math.log(capex) if capex > 0 else np.nan
        savings = result["cost_savings"][i]
        result["log_savings"][i] = math.log(savings) if savings > 0 else np.nan
        result["log_fraction"][i] = np.nan
        result["adoption"][i] = np.nan
        if "applicability" in result:
            result["applicability"][i] = np.nan


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
