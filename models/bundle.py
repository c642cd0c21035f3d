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

This module is the bundle's face (fit, score, recommend, what it was trained on); each job
has its own room: training steps :mod:`models.fitting`, scoring :mod:`models.scoring` (over
all candidate pairs of a batch, a measure never displacing more than its end uses hold or its
physical cap allows), a request :mod:`models.recommend` (ranking :mod:`models.ranking`,
stacking :mod:`models.stacking`, pathway :mod:`models.pathway`, explanations
:mod:`models.explain`, the answer :mod:`models.answer`; computed only for the rows returned),
caveats :mod:`models.caveats`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.accounting.factors import FactorTable
from features.catalogue.candidates import FactoryEnergy, Pairs
from features.catalogue.measures import Catalogue
from features.domain import DomainSummary
from features.messages import Message
from features.profile import FactoryProfile
from features.table import Table
from models import fitting, scoring
from models.caveats import (
    COARSE_MODEL_WARNING,
    GENERATED_DATA_WARNING,
    UNKNOWN_SOURCE_WARNING,
    data_warnings,
)
from models.collector import collection_paused
from models.config import BundleConfig
from models.estimators import GBMClassifier, GBMRegressor
from models.fitting import APPLICABILITY_BLOCK_FACTORIES, MIN_IDENTIFIED_OUTCOMES
from models.recommend import answer_currency, recommend
from models.schemas import FactoryRecommendations, RecommendOptions
from models.scores import Scores
from models.scoring import Candidates, adoption_inputs
from models.served import realisation_rows, served_interval_warning, served_low
from models.stacking import compile_kernels
from models.strata import DECLARED, DEFAULT_SHARES, families, interval_strata, shares_declared

__all__ = [
    "APPLICABILITY_BLOCK_FACTORIES",
    "COARSE_MODEL_WARNING",
    "DECLARED",
    "DEFAULT_SHARES",
    "GENERATED_DATA_WARNING",
    "UNKNOWN_SOURCE_WARNING",
    "BundleConfig",
    "NotFittedError",
    "RecommendationBundle",
    "answer_currency",
    "interval_strata",
    "shares_declared",
]


class NotFittedError(RuntimeError):
    """The bundle was used before ``fit``."""


class RecommendationBundle:
    """All component models, the measure vocabulary and the versions they were trained with."""

    def __init__(self, config: BundleConfig | None = None) -> None:
        self.config = config or BundleConfig()

    # --- training ---------------------------------------------------------------------------
    def fit(
        self,
        factories: pd.DataFrame,
        outcomes: pd.DataFrame,
        catalogue: Catalogue | None = None,
        table: FactorTable | None = None,
        progress: Callable[[str], None] = lambda _stage: None,
    ) -> RecommendationBundle:
        """Train every component on ``outcomes`` of ``factories`` (no ground truth used);
        ``progress`` hears each stage as it starts (steps: :mod:`models.fitting`)."""
        catalogue = catalogue or Catalogue.default()
        progress("targets: outcomes to fractions of end-use energy")
        table = table or FactorTable.default()
        prepared = fitting.prepare(factories, outcomes, catalogue)
        kwargs = fitting.tree_kwargs(self.config, prepared.spec)
        self.n_identified_outcomes_ = prepared.identified
        self.applicability_: GBMClassifier | None = None
        # Which measures auditors recommend can only be learned from outcomes that name them; a
        # handful among coarse groups (3 of 148k in the IAC release here) would teach noise.
        # Trained first: its candidate table is the largest thing training holds, and the
        # outcome design below does not exist yet (peak memory).
        if prepared.identified >= MIN_IDENTIFIED_OUTCOMES:
            progress("applicability model")
            self.applicability_ = fitting.fit_applicability(prepared, catalogue, kwargs)
        ts = fitting.training_set(prepared, catalogue, self.config, kwargs)
        self.n_metered_outcomes_ = int((ts.metered & ts.first).sum())
        self.savings_ = fitting.fit_savings(self.config, ts, self.applicability_, progress)
        self.side_: GBMRegressor | None = fitting.fit_side(ts)
        progress("cost model")
        self.cost_ = fitting.fit_cost(ts)
        # Adoption as served: the model learns from the cost and savings the other models
        # predict for factories they did not see (out of fold), which is what it gets at
        # recommendation time, not from the auditor's own figures.
        self.currency_ = fitting.training_currency(outcomes)
        progress(f"adoption model on out-of-fold cost and savings ({fitting.OOF_FOLDS} folds)")
        served_cost, served_savings, held_out_fraction = fitting.out_of_fold(ts, self.currency_)
        # What the savings model leaves on metered plants it did not see (out of fold).
        self.realisation_ = fitting.realisation_of(ts, held_out_fraction)
        self.adoption_ = fitting.fit_adoption(self.config, ts, served_cost, served_savings)
        self.spec_ = prepared.spec
        self.catalogue_version_ = catalogue.version
        self.factor_table_version_ = table.version
        self.n_training_outcomes_ = len(outcomes)
        self.domain_ = DomainSummary.from_table(prepared.factories)
        self.evidence_ = fitting.evidence_counts(prepared.targets, prepared.factories)
        self.training_source_: str | None = None  # set by the training pipeline
        self.metrics_: dict[str, float] = {}  # held-out metrics, set by the training pipeline
        return self

    def realisation(self, keys: np.ndarray, catalogue: Catalogue) -> tuple[np.ndarray, np.ndarray]:
        """(median, log sd) of metered / estimated savings per row (learned or the prior)."""
        return realisation_rows(getattr(self, "realisation_", {}), families(keys, catalogue))

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

    def served_interval_warning(self) -> Message:
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

    def data_warnings(self, options: RecommendOptions) -> list[Message]:
        """Caveats every answer of this model carries (:func:`models.caveats.data_warnings`)."""
        return data_warnings(self, options)

    def evidence(self, key: str, sector: str) -> tuple[int, int]:
        """Training outcomes of measure ``key``: overall and in ``sector``."""
        counts = getattr(self, "evidence_", {}).get(key)
        if counts is None:
            return 0, 0
        return counts[0], counts[1].get(sector, 0)

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
        return scoring.served_adoption_inputs(self, energy, found, X, catalogue)

    @staticmethod
    def adoption_inputs(X: np.ndarray, log_cost: np.ndarray, log_savings: np.ndarray) -> np.ndarray:
        """The adoption model's inputs (:func:`models.scoring.adoption_inputs`)."""
        return adoption_inputs(X, log_cost, log_savings)

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
        kernels (models.treeshap, models.stacking), so the first request does not pay for
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

    def score_pairs(self, candidates: Candidates, deferred: bool = False) -> Scores:
        """Predictions for the candidate rows (:func:`models.scoring.score_pairs`)."""
        self._check_fitted()
        return scoring.score_pairs(self, candidates, deferred)

    def complete_rows(self, scores: Scores, rows: np.ndarray, candidates: Candidates) -> None:
        """Fill what a deferred scoring left out for ``rows``, in place
        (:func:`models.scoring.complete_rows`)."""
        scoring.complete_rows(self, scores, rows, candidates)

    def candidates(
        self,
        factories: Table,
        profiles: list[FactoryProfile],
        table: FactorTable,
        catalogue: Catalogue,
    ) -> Candidates:
        """Every candidate pair of a batch with its energy, factors and prices."""
        self._check_fitted()
        return scoring.candidates_of(self, factories, profiles, table, catalogue)

    def score_candidates(
        self,
        factories: Table,
        profiles: list[FactoryProfile],
        table: FactorTable,
        catalogue: Catalogue,
        deferred: bool = False,
    ) -> tuple[FactoryEnergy, Pairs, Scores, np.ndarray]:
        """Every candidate pair of a batch, scored: (energy, pairs, scores, kg per unit);
        ``deferred`` as in :func:`models.scoring.score_pairs`."""
        c = self.candidates(factories, profiles, table, catalogue)
        return c.energy, c.found, self.score_pairs(c, deferred), c.kg

    def recommend(
        self,
        profiles: list[FactoryProfile],
        options: RecommendOptions | None = None,
        table: FactorTable | None = None,
        catalogue: Catalogue | None = None,
    ) -> list[FactoryRecommendations]:
        """Ranked measures, portfolio and pathway for each profile, scored in one pass
        (:func:`models.recommend.recommend`)."""
        self._check_fitted()
        options = options or RecommendOptions()
        table = table or FactorTable.default()
        catalogue = catalogue or Catalogue.default()
        with collection_paused():  # thousands of short-lived objects, no cycles among them
            return recommend(self, profiles, options, table, catalogue)
