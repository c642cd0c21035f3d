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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from features.accounting.factors import FactorTable
from features.accounting.prices import price_matrix
from features.carriers import CARRIERS, ELECTRICITY, GJ_PER_CANONICAL
from features.catalogue.applicability import candidate_pairs
from features.catalogue.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue.capex import price_scored_capex, transfer_caveat
from features.catalogue.measures import Catalogue, measure_name
from features.design import DesignSpec, design_matrix
from features.domain import DomainSummary
from features.enduses.physics import conversion_added
from features.i18n import text
from features.profile import FactoryProfile
from features.regions import Country
from features.routes.emissions import table_lines
from features.routes.estimate import estimate
from features.table import Table, profile_table, texts
from features.targets import MAX_FRACTION, carrier_masks, outcome_targets
from features.units import USD_PER
from models.collector import collection_paused
from models.decisions import assemble_factory, compile_kernels, rank_rows, stack_factories
from models.estimators import (
    GBMClassifier,
    GBMRegressor,
    IntervalRegressor,
    LogisticBoostedClassifier,
    RowBlocks,
)
from models.explain import explain_rows
from models.metered import (
    DEFAULT_METERED_WEIGHT,
    first_reported,
    metered_mask,
    metered_weights,
    savings_log_sd,
)
from models.schemas import FactoryRecommendations, RecommendOptions
from models.served import (
    MIN_METERED_PER_FAMILY,
    Learned,
    audits_warning,
    learn_realisation,
    realisation_rows,
    served_interval_warning,
    served_low,
)

#: Factories per block when training the applicability model on all candidate pairs (memory).
APPLICABILITY_BLOCK_FACTORIES = 10_000


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
    interval_by_family: bool = True
    interval_propensity_weights: bool = True
    interval_calibration: Literal["random", "recent"] = "random"
    #: The served interval is of what the plant will see, not of what an auditor estimates:
    #: its low end also carries the realisation of estimates (REALISATION_PRIOR) and, for
    #: measures auditors rarely pick at plants like this one, the selection margin
    #: (docs/evaluation.md, "What the served interval is of").
    interval_served_margins: bool = True
    random_state: int = 0
    n_jobs: int = 2
    #: The adoption model: a logistic regression on payback, cost, savings and the measure,
    #: with trees from its log-odds for what the factory's inputs add; their number (at most
    #: this) is found on held-out factories. Measured (seed 0, as served, ROC AUC): 5,000
    #: generated factories 0.587 (shared tree settings) -> 0.595 (1 tree kept; per-measure rate
    #: 0.592, logistic regression served the same way 0.584); IAC trained to FY2015, tested
    #: 2016-2021: 0.570 -> 0.577 (293 trees; the logistic part alone 0.520).
    adoption_n_estimators: int = 300
    adoption_learning_rate: float = 0.05
    adoption_num_leaves: int = 7
    adoption_max_depth: int = 3
    #: Leaf size of the adoption trees, at most ADOPTION_MAX_LEAF_SHARE of its rows (small
    #: training sets keep splits) and at least min_child_samples.
    adoption_min_child_samples: int = 300
    #: How much a metered outcome (reported to the outcomes store with measured savings)
    #: counts against one auditor's estimate in the savings and side-effect models: the ratio
    #: of their variances about what a plant really saves (models.metered:
    #: DEFAULT_METERED_WEIGHT, an ASSUMPTION through the metered noise it supposes); a verified
    #: outcome's own uncertainty can only lower it. Not in the adoption model: only implemented
    #: measures are metered, so weighting them would teach a higher adoption rate.
    metered_weight: float = DEFAULT_METERED_WEIGHT


#: Largest share of the adoption model's rows one leaf must hold (see BundleConfig).
ADOPTION_MAX_LEAF_SHARE = 0.02
#: Smallest P(picked | x) used for calibration weights (weights at most 1 / 0.05 = 20).
PROPENSITY_FLOOR = 0.05
#: Folds for the out-of-fold cost and savings the adoption model learns from.
OOF_FOLDS = 3
#: Outcomes naming a catalogue measure needed before the applicability model is trained.
MIN_IDENTIFIED_OUTCOMES = 200


COARSE_MODEL_WARNING = text("coarse_model")
GENERATED_DATA_WARNING = text("generated_data")


UNKNOWN_SOURCE_WARNING = text("unknown_source")


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

    def _adoption_kwargs(self, kwargs: dict[str, object], n_rows: int) -> dict[str, object]:
        c = self.config
        leaf = min(c.adoption_min_child_samples, int(n_rows * ADOPTION_MAX_LEAF_SHARE))
        return kwargs | {
            "n_estimators": c.adoption_n_estimators,
            "learning_rate": c.adoption_learning_rate,
            "num_leaves": c.adoption_num_leaves,
            "max_depth": c.adoption_max_depth,
            "min_child_samples": max(c.min_child_samples, leaf),
        }

    def fit(
        self,
        factories: pd.DataFrame,
        outcomes: pd.DataFrame,
        catalogue: Catalogue | None = None,
        table: FactorTable | None = None,
        progress: Callable[[str], None] = lambda _stage: None,
    ) -> RecommendationBundle:
        """Train every component on ``outcomes`` of ``factories`` (no ground truth used);
        ``progress`` hears each stage as it starts."""
        catalogue = catalogue or Catalogue.default()
        progress("targets: outcomes to fractions of end-use energy")
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

        identified = int(targets["key"].isin(list(catalogue.measures)).sum())
        self.n_identified_outcomes_ = identified
        # Outcomes of catalogue measures beside outcomes of coarse classes (real audits whose
        # measure code was rounded): the regressors split on which kind a row is before
        # anything else, so what identifies the coarse rows' source (US states, their years)
        # never carries their scale (a share of all the plant's energy) to a catalogue measure
        # (a share of its end uses) at a plant like theirs.
        regress = kwargs
        if 0 < identified < len(targets):
            regress = kwargs | {"split_first": spec.names.index("catalogue_measure")}
        self.applicability_: GBMClassifier | None = None
        # Which measures auditors recommend can only be learned from outcomes that name them; a
        # handful among coarse groups (3 of 148k in the IAC release here) would teach noise.
        # Trained first: its candidate table is the largest thing training holds, and the
        # outcome design below does not exist yet (peak memory).
        if identified >= MIN_IDENTIFIED_OUTCOMES:
            progress("applicability model")
            self.applicability_ = self._fit_applicability(spec, energy, targets, catalogue, kwargs)

        found = pairs(
            energy, targets["factory_row"].to_numpy(), targets["key"].to_numpy(), catalogue
        )
        X = design_matrix(spec, energy, found, catalogue, dtype=np.float32)
        groups = targets["factory_row"].to_numpy()

        y = targets["log_fraction"].to_numpy()
        metered = metered_mask(outcomes, targets["implemented"].to_numpy(), y)
        self.n_metered_outcomes_ = int((metered & first_reported(outcomes)).sum())
        # Metered outcomes count above estimates in the energy models (None: all rows once).
        sample_weight = metered_weights(
            metered, savings_log_sd(outcomes), self.config.metered_weight
        )
        rows = ~np.isnan(y)
        if rows.sum() < 20:
            raise ValueError(f"only {int(rows.sum())} outcomes with energy savings; need >= 20")
        progress(f"savings model with its interval ({int(rows.sum()):,} outcomes)")
        declared = shares_declared(energy.factories)[found.factory_index]
        weights, strata = self._calibration_design(X, found.keys, catalogue, declared)
        years = pd.to_numeric(factories["reporting_year"], errors="coerce").to_numpy(dtype=float)
        years = years[targets["factory_row"].to_numpy()]
        # With calibration on the latest years, the interval also widens for years beyond
        # them at the rate the calibration years show (drift; docs/evaluation.md).
        drift = spec.names.index("reporting_year")
        interval = IntervalRegressor(
            alpha=self.config.interval_alpha,
            drift_column=drift,
            **regress,  # type: ignore[arg-type]
        )
        recent = self.config.interval_calibration == "recent"
        self.savings_ = interval.fit(
            X[rows],
            y[rows],
            groups[rows],
            weights=None if weights is None else weights[rows],
            strata=None if strata is None else strata[rows],
            calibration_order=years[rows] if recent else None,
            sample_weight=None if sample_weight is None else sample_weight[rows],
        )
        # Side effects of measures that are not conversions, from every carrier reported.
        y = targets["side_fraction"].to_numpy()
        conversion = np.array([c is not None for c in found.conversions], dtype=bool)
        rows = ~np.isnan(y) & ~conversion
        self.side_: GBMRegressor | None = (
            GBMRegressor(**regress).fit(  # type: ignore[arg-type]
                X[rows], y[rows], None if sample_weight is None else sample_weight[rows]
            )
            if rows.sum() >= 20
            else None
        )
        progress("cost model")
        y = targets["log_cost"].to_numpy()
        rows = ~np.isnan(y)
        self.cost_ = GBMRegressor(**regress).fit(X[rows], y[rows])  # type: ignore[arg-type]
        # Adoption as served: the model learns from the cost and savings the other models
        # predict for factories they did not see (out of fold), which is what it gets at
        # recommendation time, not from the auditor's own figures.
        self.currency_ = _currency(outcomes)
        progress(f"adoption model on out-of-fold cost and savings ({OOF_FOLDS} folds)")
        served_cost, served_savings, held_out_fraction = self._out_of_fold(
            X, targets, found, energy, catalogue, regress, sample_weight
        )
        # What the savings model leaves on metered plants it did not see (out of fold).
        self.realisation_ = self._learn_realisation(
            held_out_fraction, targets, metered, first_reported(outcomes), found.keys, catalogue
        )
        y = targets["implemented"].to_numpy()
        rows = ~np.isnan(y)
        # Only the rows with a known adoption: no full-size copy of the design beside them.
        adoption_X = self.adoption_inputs(X[rows], served_cost[rows], served_savings[rows])
        self.adoption_ = LogisticBoostedClassifier(
            # The logistic part: log capex, log yearly savings, payback (as served: out of
            # fold) and the measure's own adoption rate (smoothed; one coefficient, not one per
            # measure: that lowered the held-out AUC, 0.600 vs 0.618 on 300 generated
            # factories); the trees add what the factory's other inputs say, where held-out
            # factories show it helps.
            linear_columns=tuple(range(X.shape[1], adoption_X.shape[1])),
            category_column=spec.names.index("measure"),
            **self._adoption_kwargs(kwargs, len(adoption_X)),  # type: ignore[arg-type]
        ).fit(
            adoption_X,
            y[rows],
            groups=groups[rows],
        )
        self.spec_ = spec
        self.catalogue_version_ = catalogue.version
        self.factor_table_version_ = table.version
        self.n_training_outcomes_ = len(outcomes)
        self.domain_ = DomainSummary.from_table(factories)
        self.evidence_ = _evidence(targets, factories)
        self.training_source_: str | None = None  # set by the training pipeline
        self.metrics_: dict[str, float] = {}  # held-out metrics, set by the training pipeline
        return self

    def _calibration_design(
        self, X: np.ndarray, keys: np.ndarray, catalogue: Catalogue, declared: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Weights and strata for calibrating the savings interval on the pairs the service
        scores, not only those an auditor picked (docs/evaluation.md): each outcome row is
        weighted by 1 / P(picked | x) from the applicability model (clipped), and each measure
        family gets its own margin."""
        strata = (
            interval_strata(keys, catalogue, declared) if self.config.interval_by_family else None
        )
        weights = None
        if self.config.interval_propensity_weights and self.applicability_ is not None:
            picked = np.clip(self.applicability_.predict_proba(X), PROPENSITY_FLOOR, 1.0)
            weights = 1.0 / picked
        return weights, strata

    def _learn_realisation(
        self,
        held_out_fraction: np.ndarray,
        targets: pd.DataFrame,
        metered: np.ndarray,
        first: np.ndarray,
        keys: np.ndarray,
        catalogue: Catalogue,
    ) -> Learned:
        """Realisation per measure family from the ``metered`` outcome rows (implemented
        measures reported to the outcomes store; each outcome once: ``first``), as
        :func:`models.served.learn_realisation`: metered savings over the savings model's
        prediction for plants it did not see (``held_out_fraction``, out of fold; the model
        itself learned from these rows, weighted, so its own fit would hide what it leaves);
        empty without enough of them."""
        y = targets["log_fraction"].to_numpy()
        known = ~np.isnan(held_out_fraction) & ~np.isnan(y)
        rows = metered & first & known
        if rows.sum() < MIN_METERED_PER_FAMILY:
            return {}
        residual = y - held_out_fraction
        estimates = known & ~metered
        return learn_realisation(
            residual[rows], _families(keys[rows], catalogue),
            residual[estimates], _families(keys[estimates], catalogue),
        )  # fmt: skip

    def realisation(self, keys: np.ndarray, catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray]:
        """(median, log sd) of metered / estimated savings per row (learned or the prior)."""
        return realisation_rows(getattr(self, "realisation_", {}), _families(keys, catalogue))

    def served_low(
        self,
        low: np.ndarray,
        mid: np.ndarray,
        picked: np.ndarray | None,
        realisation: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """The low end of the interval served (:func:`models.served.served_low`); the
        calibrated ``low`` with ``interval_served_margins`` off."""
        if not self.config.interval_served_margins:
            return low
        return served_low(low, mid, self.config.interval_alpha, picked, realisation)

    def served_interval_warning(self) -> str:
        """What the served interval is of, with the realisation it allows for."""
        return served_interval_warning(getattr(self, "realisation_", {}))

    def describe_training(
        self,
        source: str,
        metrics: dict[str, float],
        money_base_year: int | None = None,
        parts: list[dict[str, object]] | None = None,
    ) -> None:
        """Record where the training data came from, the held-out metrics, the year whose
        prices its money is in and, for blended data, each part's factories, outcomes, years
        and countries (model card and caveats)."""
        self.training_source_ = source
        self.metrics_ = dict(metrics)
        self.money_base_year_ = money_base_year
        self.training_parts_ = [dict(p) for p in parts or []]

    def data_warnings(self, options: RecommendOptions) -> list[str]:
        """Caveats every answer of this model carries (its training data, its metrics)."""
        out = []
        source = getattr(self, "training_source_", None)
        if source == "synthetic":
            out.append(GENERATED_DATA_WARNING)
        elif source == "audits":
            out.append(audits_warning(getattr(self, "training_parts_", []),
                                      getattr(self, "money_base_year_", None)))  # fmt: skip
        elif source is None:
            out.append(UNKNOWN_SOURCE_WARNING)
        if self.config.interval_served_margins:
            out.append(self.served_interval_warning())
        metrics = getattr(self, "metrics_", {})
        served = metrics.get("adoption_roc_auc")
        rate = metrics.get("baseline_measure_rate.adoption_roc_auc")
        weighted = options.objective == "most_adopted_tco2e"
        if weighted and served is not None and rate is not None and served <= rate:
            out.append(
                f"most_adopted_tco2e weighs by an adoption model that, as served, does not "
                f"beat each measure's plain adoption rate on held-out factories (ROC AUC "
                f"{served:.3f} vs {rate:.3f}): treat the adoption weighting as uninformative"
            )
        return out

    def evidence(self, key: str, sector: str) -> tuple[int, int]:
        """Training outcomes of measure ``key``: overall and in ``sector``."""
        counts = getattr(self, "evidence_", {}).get(key)
        if counts is None:
            return 0, 0
        return counts[0], counts[1].get(sector, 0)

    def _out_of_fold(
        self,
        X: np.ndarray,
        targets: pd.DataFrame,
        found: Pairs,
        energy: FactoryEnergy,
        catalogue: Catalogue,
        kwargs: dict[str, object],
        sample_weight: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log capex, log yearly cost savings, log fraction saved) of every outcome row as the
        served models would predict them for a factory outside their training data: folds
        grouped by factory, the savings, side-effect and cost models refit on the other folds
        (the energy models with ``sample_weight``, as served), savings turned into money
        through the same physics and prices as serving. The log fraction is NaN where a fold
        had too few rows for a model."""
        groups = targets["factory_row"].to_numpy()
        log_cost = np.full(len(X), np.nan)
        log_fraction = np.full(len(X), np.nan)
        side = np.zeros(len(X))
        y_sav = targets["log_fraction"].to_numpy()
        y_side = targets["side_fraction"].to_numpy()
        y_cost = targets["log_cost"].to_numpy()
        conversion = np.array([c is not None for c in found.conversions], dtype=bool)
        n_folds = min(OOF_FOLDS, len(np.unique(groups)))
        for train, test in GroupKFold(n_splits=n_folds).split(X, groups=groups):
            for y, out, extra, weighted in ((y_sav, log_fraction, None, True),
                                            (y_cost, log_cost, None, False),
                                            (y_side, side, conversion, True)):  # fmt: skip
                ok = train[~np.isnan(y[train])]
                if extra is not None:
                    ok = ok[~extra[ok]]
                if len(ok) < 20:
                    continue
                w = sample_weight[ok] if weighted and sample_weight is not None else None
                model = GBMRegressor(**kwargs).fit(X[ok], y[ok], w)  # type: ignore[arg-type]
                out[test] = model.predict(X[test])
        held_out = log_fraction.copy()
        log_fraction = np.where(np.isnan(log_fraction), np.nanmedian(y_sav), log_fraction)
        saved, _ = _NetSavings(energy, found, catalogue, side).net_units(log_fraction)
        prices = price_matrix(energy.factories, self.currency_)
        cost_savings = (saved * prices[found.factory_index]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_savings = np.where(cost_savings > 0, np.log(cost_savings), np.nan)
        return log_cost, log_savings, held_out

    def adoption_as_served(
        self, energy: FactoryEnergy, found: Pairs, X: np.ndarray, catalogue: Catalogue
    ) -> np.ndarray:
        """P(adoption) of the rows of ``found`` from this bundle's own predicted cost and
        savings, exactly the inputs the service gives the adoption model."""
        return self.served_adoption_inputs(energy, found, X, catalogue)[0]

    def served_adoption_inputs(
        self, energy: FactoryEnergy, found: Pairs, X: np.ndarray, catalogue: Catalogue
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P(adoption), predicted log capex, predicted log yearly cost savings) of the rows of
        ``found``, as :meth:`adoption_as_served` computes them."""
        side = self.side_.predict(X) if self.side_ is not None else np.zeros(len(found))
        saved, _ = _NetSavings(energy, found, catalogue, side).net_units(self.savings_.predict(X))
        prices = price_matrix(energy.factories, self.currency_)
        cost_savings = (saved * prices[found.factory_index]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_savings = np.where(cost_savings > 0, np.log(cost_savings), np.nan)
        log_cost = self.cost_.predict(X)
        inputs = self.adoption_inputs(X, log_cost, log_savings)
        return np.asarray(self.adoption_.predict_proba(inputs)), log_cost, log_savings

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
        # (factory, measure) as one integer per pair: no Python tuple per candidate.
        codes = {k: i for i, k in enumerate(spec.measure_keys)}
        width = len(codes) + 1

        def pair_codes(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
            key_code = np.fromiter((codes.get(str(k), len(codes)) for k in keys.tolist()),
                                   dtype=np.int64, count=len(keys))  # fmt: skip
            return rows.astype(np.int64) * width + key_code

        recommended = pair_codes(targets["factory_row"].to_numpy(), targets["key"].to_numpy())
        # Every candidate pair of every factory is the largest table training builds (4.2 M
        # rows x 60 columns at 100k factories): it never exists whole. A first pass finds each
        # block of factories' pairs and labels; LightGBM then reads the design a block at a
        # time (RowBlocks), rebuilding a block's rows when it needs them.
        n = len(energy.energy_gj)
        starts = range(0, n, APPLICABILITY_BLOCK_FACTORIES)

        def block_pairs(start: int) -> tuple[FactoryEnergy, Pairs]:
            block = energy.subset(slice(start, min(start + APPLICABILITY_BLOCK_FACTORIES, n)))
            return block, candidate_pairs(block, measures, catalogue)

        lengths, labels = [], []
        for start in starts:
            _, found = block_pairs(start)
            lengths.append(len(found))
            labels.append(np.isin(pair_codes(found.factory_index + start, found.keys), recommended))

        def build(i: int) -> np.ndarray:
            block, found = block_pairs(starts[i])
            return design_matrix(spec, block, found, catalogue, dtype=np.float32)

        width = len(spec.names)
        X = RowBlocks(lengths=tuple(lengths), width=width, build=build)
        label = np.concatenate(labels).astype(float)
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
    def prepare(self) -> None:
        """Build the tree explainers of the models explanations use and compile the numba
        kernels (models.treeshap, models.decisions), so the first request does not pay for
        them."""
        self._check_fitted()
        compile_kernels()
        for model, name in ((self.savings_, "median_"), (self.adoption_, "booster_")):
            explainer = model.explainer(name)
            if explainer is not None:
                explainer.explain(np.zeros((1, getattr(model, name).num_feature())))

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
        deferred: bool = False,
    ) -> dict[str, np.ndarray]:
        """Predictions for the (factory, measure) rows of ``found``: energy change per carrier
        (median, low, high), tCO2e, cost savings, capex and probabilities, aligned with the rows.
        ``deferred``: the tCO2e interval and the recommendation probability, which decide
        nothing and are only shown, are left NaN for :meth:`complete_rows` to fill for the rows
        returned.

        The savings model's fraction is capped by ``found.cap`` (never more than the end uses
        hold, nor than the site's physics allow); conversions add energy by physics, other
        measures their learned side effect.
        """
        self._check_fitted()
        X = design_matrix(self.spec_, energy, found, catalogue)
        side = self.side_.predict(X) if self.side_ is not None else np.zeros(len(found))
        declared = shares_declared(energy.factories)[found.factory_index]
        wide = ~declared if self.config.interval_served_margins else None
        physics = _NetSavings(energy, found, catalogue, side, undeclared=wide)
        factors = kg_per_unit[found.factory_index]
        picked = None
        if deferred:
            mid = self.savings_.predict(X)
        else:
            low, mid, high = self.savings_.predict_interval(
                X, interval_strata(found.keys, catalogue, declared)
            )
            if self.applicability_ is not None:
                picked = self.applicability_.predict_proba(X)
            low = self.served_low(low, mid, picked, self.realisation(found.keys, catalogue))
        saved_mid, fraction_mid = physics.net_units(mid)
        t_mid = (saved_mid * factors).sum(axis=1) / 1000
        if deferred:
            t_low, t_high = np.full(len(found), np.nan), np.full(len(found), np.nan)
        else:
            t_low, t_high = _interval_tco2e(physics, low, high, t_mid, factors)
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
            "targeted_gj": found.targeted_gj.sum(axis=1),
            "saved": saved_mid,
            "tco2e": t_mid,
            "tco2e_low": t_low,
            "tco2e_high": t_high,
            "cost_savings": cost_savings,
            "gross_value": gross_value,
            "capex": np.exp(log_cost),
            "log_cost": log_cost,
            "log_savings": log_savings,
            "adoption": adoption,
            "side": side,
        }
        if self.applicability_ is not None:
            result["applicability"] = np.full(len(found), np.nan) if picked is None else picked
        _apply_route_estimates(
            result, energy, found, catalogue, kg_per_unit, prices, self.currency_
        )
        sectors = texts(energy.factories, "sector")
        counts = [
            self.evidence(str(k), sectors[int(f)])
            for k, f in zip(found.keys.tolist(), found.factory_index.tolist(), strict=True)
        ]
        result["evidence"] = np.array([c[0] for c in counts], dtype=float).reshape(-1)
        result["evidence_sector"] = np.array([c[1] for c in counts], dtype=float).reshape(-1)
        return result

    def complete_rows(
        self,
        scores: dict[str, np.ndarray],
        rows: np.ndarray,
        energy: FactoryEnergy,
        found: Pairs,
        catalogue: Catalogue,
        kg_per_unit: np.ndarray,
    ) -> None:
        """Fill what a deferred :meth:`score_pairs` left out (the tCO2e interval and the
        recommendation probability) for ``rows``, the same numbers as scoring them all; rows
        estimated by engineering keep their own."""
        rows = rows[~scores["engineering"][rows]]
        if not len(rows):
            return
        X = scores["X"][rows]
        declared = shares_declared(energy.factories)[found.factory_index[rows]]
        low, mid, high = self.savings_.predict_interval(
            X, interval_strata(found.keys[rows], catalogue, declared)
        )
        picked = None if self.applicability_ is None else self.applicability_.predict_proba(X)
        low = self.served_low(low, mid, picked, self.realisation(found.keys[rows], catalogue))
        part = found.subset(rows)
        wide = ~declared if self.config.interval_served_margins else None
        physics = _NetSavings(energy, part, catalogue, scores["side"][rows], undeclared=wide)
        factors = kg_per_unit[part.factory_index]
        t_low, t_high = _interval_tco2e(physics, low, high, scores["tco2e"][rows], factors)
        scores["tco2e_low"][rows] = t_low
        scores["tco2e_high"][rows] = t_high
        if picked is not None:
            scores["applicability"][rows] = picked

    def score_candidates(
        self,
        factories: Table,
        profiles: list[FactoryProfile],
        table: FactorTable,
        catalogue: Catalogue,
        deferred: bool = False,
    ) -> tuple[FactoryEnergy, Pairs, dict[str, np.ndarray], np.ndarray]:
        """Every candidate pair of a batch, scored: (energy, pairs, scores, kg per unit);
        ``deferred`` as in :meth:`score_pairs`."""
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
        scores = self.score_pairs(energy, found, catalogue, kg, prices, deferred)
        scores["factory_prices"] = prices  # (factories, carriers), per factory, not per pair
        return energy, found, scores, kg

    def recommend(
        self,
        profiles: list[FactoryProfile],
        options: RecommendOptions | None = None,
        table: FactorTable | None = None,
        catalogue: Catalogue | None = None,
    ) -> list[FactoryRecommendations]:
        """Ranked measures, portfolio and pathway for each profile, scored in one pass."""
        self._check_fitted()
        with collection_paused():  # thousands of short-lived objects, no cycles among them
            return self._recommend(profiles, options, table, catalogue)

    def _recommend(
        self,
        profiles: list[FactoryProfile],
        options: RecommendOptions | None,
        table: FactorTable | None,
        catalogue: Catalogue | None,
    ) -> list[FactoryRecommendations]:
        options = options or RecommendOptions()
        table = table or FactorTable.default()
        catalogue = catalogue or Catalogue.default()
        factories = profile_table(profiles)  # plain lists: no pandas on the request path
        energy, found, scores, kg = self.score_candidates(
            factories, profiles, table, catalogue, deferred=True
        )
        keys = found.keys
        # Factory-major rows: factory i owns rows bounds[i]:bounds[i + 1].
        bounds = np.searchsorted(found.factory_index, np.arange(len(profiles) + 1))
        lifetimes = catalogue.arrays.lifetime[catalogue.arrays.rows(keys)]
        # Money in each factory's own currency (options.currency, else its own).
        currencies = [answer_currency(p, options) for p in profiles]
        rate = np.array([USD_PER[self.currency_] / USD_PER[c] for c in currencies])
        row_rate = rate[found.factory_index]
        for name in ("cost_savings", "gross_value"):
            scores[name] = scores[name] * row_rate
        # Capex at the price level of each factory's country (features/catalogue/capex.py).
        priced = price_scored_capex(scores, found, profiles, catalogue, self.currency_, currencies)
        scores["capex"] = priced.mid
        scores["capex_low"], scores["capex_high"] = priced.low, priced.high
        # Below min_evidence training outcomes a learned measure is listed apart, not ranked
        # (only for models that tell measures apart; coarse models carry their own warning).
        min_evidence = options.min_evidence if self.ranks_measures else 0
        factory_rows = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(profiles))]
        chosen = [
            rank_rows(rows, lifetimes, scores, options, min_evidence) for rows in factory_rows
        ]
        # What is only shown (intervals, recommendation probability), for the rows shown.
        shown = np.concatenate(
            [np.zeros(0, dtype=np.intp)]
            + [np.concatenate([c.rows, c.increases, c.thin]).astype(np.intp) for c in chosen]
        )
        self.complete_rows(scores, shown, energy, found, catalogue, kg)
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
            currencies,
            {m.id: measure_name(m, options.lang) for m in catalogue.measures.values()},
        )
        stacked = stack_factories(
            profiles, energy.energy_gj[:, :, None] * energy.shares, found, chosen, scores, kg,
            catalogue, table, factory_rows, options, lifetimes,
        )  # fmt: skip
        results = []
        start = 0
        base_warnings = [] if self.ranks_measures else [COARSE_MODEL_WARNING]
        base_warnings += self.data_warnings(options)
        domain = getattr(self, "domain_", None)
        for i, profile in enumerate(profiles):
            end = start + len(chosen[i].rows)
            inputs = domain.check(profile) if domain is not None else []
            listed = np.concatenate([chosen[i].rows, chosen[i].increases, chosen[i].thin])
            moved = keys[listed[priced.transferred[listed]]]  # capex moved by a price-level ratio
            caveat = transfer_caveat(profile, self.currency_, moved)
            results.append(
                assemble_factory(
                    profile,
                    found,
                    chosen[i],
                    scores,
                    kg[i],
                    explanations[start:end] if explanations else [],
                    catalogue,
                    table,
                    currencies[i],
                    base_warnings + caveat + [w.message for w in inputs],
                    len(factory_rows[i]),
                    stacked[i],
                    inputs,
                    options,
                    scores["factory_prices"][i] * rate[i],
                    energy.shares[i],
                )
            )
            start = end
        return results


def _interval_tco2e(
    physics: _NetSavings,
    low: np.ndarray,
    high: np.ndarray,
    t_mid: np.ndarray,
    factors: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) tCO2e of the savings interval's ends, bracketing the median's; the high end
    bounded by physics with the plant's undeclared end-use split taken as unknown."""
    t_a = (physics.net_units(low)[0] * factors).sum(axis=1) / 1000
    t_b = (physics.net_units(high, wide=True)[0] * factors).sum(axis=1) / 1000
    return np.minimum.reduce([t_a, t_b, t_mid]), np.maximum.reduce([t_a, t_b, t_mid])


class _NetSavings:
    """From a predicted log fraction to the net energy change per carrier, as served: the
    fraction capped by ``found.cap``, conversions adding energy by physics, other measures their
    learned side effect, and no carrier saving more than the measure's end uses hold on it."""

    def __init__(
        self,
        energy: FactoryEnergy,
        found: Pairs,
        catalogue: Catalogue,
        side: np.ndarray,
        undeclared: np.ndarray | None = None,
    ) -> None:
        self.energy, self.found = energy, found
        reduced, increased = carrier_masks(found.keys, catalogue)
        targeted = found.targeted_gj
        total = targeted.sum(axis=1)
        is_conversion = np.array([c is not None for c in found.conversions], dtype=bool)
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
        self.side_gj = (side * total)[:, None] * spread
        chp_elec = np.zeros_like(reduced)
        chp_elec[:, ELECTRICITY] = [c == "chp" for c in found.conversions]
        self.ceiling = np.where(reduced, targeted, np.where(chp_elec, np.inf, 0.0))
        self._wide_args = (catalogue, reduced, total, undeclared)
        self._wide: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _wide_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(fraction cap, top, ceiling per carrier) of an interval's high end, or None when every
        row's split was declared. Where the plant did not declare its end-use split, the
        sector's average split is a prior: the end uses may hold up to the whole of the carriers
        the measure reduces. The high end is then bounded by that physical limit (the measure's
        largest fraction of its end uses, applied to at most the whole carrier), not by the
        average. Computed on first use (scoring without intervals never needs it)."""
        catalogue, reduced, total, undeclared = self._wide_args
        if undeclared is None or not np.any(undeclared):
            return None
        if self._wide is None:
            found = self.found
            carrier_gj = self.energy.energy_gj[found.factory_index] * reduced
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(total > 0, carrier_gj.sum(axis=1) / total, 1.0)
            ratio = np.where(np.asarray(undeclared, dtype=bool), np.maximum(ratio, 1.0), 1.0)
            largest = catalogue.arrays.max_fraction[catalogue.arrays.rows(found.keys)]
            by_physics = found.cap < largest - 1e-12  # a site limit (roof, hydrogen, ...) binds
            cap = np.where(by_physics, found.cap, largest * ratio)
            self._wide = (cap, ratio, np.where(reduced, carrier_gj, self.ceiling))
        return self._wide

    def net_units(
        self, log_fraction: np.ndarray, wide: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(net saving per carrier in canonical units, fraction displaced); ``wide``: bounded
        as the high end of an interval is (see ``__init__``)."""
        found = self.found
        cap, ceiling = found.cap, self.ceiling
        top: float | np.ndarray = MAX_FRACTION
        bounds = self._wide_bounds() if wide else None
        if bounds is not None:
            cap, ratio, ceiling = bounds
            top = MAX_FRACTION * ratio
        fraction = np.minimum(np.exp(np.minimum(log_fraction, np.log(top))), cap)
        displaced = found.targeted_gj * fraction[:, None]
        by_use = found.by_use_gj * fraction[:, None]
        added = conversion_added(
            found.conversions, displaced, by_use, self.energy.factories, found.factory_index
        )
        # Physics bound: no carrier saves more than the measure's end uses hold on it, and
        # carriers it does not act on can only rise (CHP's generated electricity aside).
        net = np.minimum(displaced - added + self.side_gj, ceiling)
        canonical: np.ndarray = net / GJ_PER_CANONICAL
        return canonical, fraction


def answer_currency(profile: FactoryProfile, options: RecommendOptions) -> str:
    """The currency an answer is in: the option, else the profile's revenue_currency when it
    sets one, else its country's (US plants answer in USD, Chinese plants in CNY)."""
    if options.currency is not None:
        return options.currency
    if "revenue_currency" in profile.model_fields_set:
        return profile.revenue_currency
    return "USD" if profile.country.value == "US" else "CNY"


#: Stratum suffixes of rows whose factory declared its end-use split, or left the tool to use
#: the sector's average one (a prior: plants differ, so the interval must be wider).
DECLARED, DEFAULT_SHARES = "|shares declared", "|shares default"


def interval_strata(
    keys: np.ndarray, catalogue: Catalogue, declared: np.ndarray | None = None
) -> np.ndarray:
    """The calibration stratum of each row: its measure's family ("group" for coarse keys),
    and with ``declared`` (per row: the factory gave its end-use split) whether the split the
    measure's energy rests on was declared. A stratum with too few calibration rows falls back
    to its family's (``IntervalRegressor``)."""
    measures = catalogue.measures
    family = [measures[k].family.value if k in measures else "group" for k in keys.tolist()]
    if declared is None:
        return np.array(family, dtype=object)
    suffix = np.where(np.asarray(declared, dtype=bool), DECLARED, DEFAULT_SHARES)
    return np.array([f + s for f, s in zip(family, suffix.tolist(), strict=True)], dtype=object)


def _families(keys: np.ndarray, catalogue: Catalogue) -> np.ndarray:
    """The family of each key's measure ("group" for coarse keys)."""
    measures = catalogue.measures
    return np.array(
        [measures[k].family.value if k in measures else "group" for k in np.asarray(keys).tolist()],
        dtype=object,
    )


def shares_declared(factories: Table) -> np.ndarray:
    """Per factory: whether the profile declares any end-use share."""
    if "end_use_shares" not in factories:
        return np.zeros(len(factories), dtype=bool)
    return np.array([bool(t) for t in texts(factories, "end_use_shares")], dtype=bool)


def _currency(outcomes: pd.DataFrame) -> str:
    """The training outcomes' most common currency (money in answers is in it)."""
    currencies = outcomes["currency"].dropna().astype(str)
    return str(currencies.mode().iloc[0]) if len(currencies) else "USD"


def _evidence(
    targets: pd.DataFrame, factories: pd.DataFrame
) -> dict[str, tuple[int, dict[str, int]]]:
    """Training outcomes per measure key: overall and per sector."""
    sectors = factories["sector"].astype(str).to_numpy()[targets["factory_row"].to_numpy()]
    frame = pd.DataFrame({"key": targets["key"].astype(str).to_numpy(), "sector": sectors})
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for key, group in frame.groupby("key"):
        out[str(key)] = (
            len(group),
            {str(k): int(v) for k, v in group["sector"].value_counts().items()},
        )
    return out


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
