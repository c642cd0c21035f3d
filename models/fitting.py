"""The bundle's training steps, each a function of the prepared outcomes (:class:`TrainingSet`):
the applicability model on every candidate pair, the savings model with its calibrated interval,
side effects, cost, the out-of-fold cost and savings the adoption model learns from, the
realisation of estimates on metered outcomes, and the adoption model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from features.accounting.net_savings import NetSavings
from features.accounting.prices import price_matrix
from features.catalogue.applicability import candidate_pairs
from features.catalogue.candidates import FactoryEnergy, Pairs, pairs
from features.catalogue.measures import Catalogue
from features.design import DesignSpec, design_matrix
from features.targets import outcome_targets
from models.config import BundleConfig
from models.estimators import (
    GBMClassifier,
    GBMRegressor,
    IntervalRegressor,
    LogisticBoostedClassifier,
    RowBlocks,
)
from models.metered import first_reported, metered_mask, metered_weights, savings_log_sd
from models.scoring import adoption_inputs, log_savings_of
from models.served import MIN_METERED_PER_FAMILY, Learned, learn_realisation
from models.strata import families, interval_strata, shares_declared

#: Factories per block when training the applicability model on all candidate pairs (memory).
APPLICABILITY_BLOCK_FACTORIES = 10_000
#: Largest share of the adoption model's rows one leaf must hold (see BundleConfig).
ADOPTION_MAX_LEAF_SHARE = 0.02
#: Smallest P(picked | x) used for calibration weights (weights at most 1 / 0.05 = 20).
PROPENSITY_FLOOR = 0.05
#: Folds for the out-of-fold cost and savings the adoption model learns from.
OOF_FOLDS = 3
#: Outcomes naming a catalogue measure needed before the applicability model is trained.
MIN_IDENTIFIED_OUTCOMES = 200

#: Keyword arguments of a tree model (heterogeneous: ints, floats, tuples).
TreeKwargs = dict[str, object]


@dataclass(frozen=True)
class Prepared:
    """Outcomes as training targets: the factories (index reset), their energy, one target row
    per outcome (``targets``, :func:`features.targets.outcome_targets`), the design spec and
    how many outcomes name a catalogue measure."""

    factories: pd.DataFrame
    outcomes: pd.DataFrame
    energy: FactoryEnergy
    targets: pd.DataFrame
    spec: DesignSpec
    identified: int


@dataclass(frozen=True)
class TrainingSet:
    """What every model is fitted on: ``prepared`` with the outcome rows' pairs (``found``,
    ``n`` rows), design ``X`` (n, p), factory ``groups`` (n,), ``metered`` (n,) outcomes with
    measured savings (``first``: each outcome's first report), ``sample_weight`` (n,) or None,
    and the tree arguments (``kwargs``; ``regress`` for the energy and cost models)."""

    prepared: Prepared
    catalogue: Catalogue
    found: Pairs
    X: np.ndarray
    groups: np.ndarray
    metered: np.ndarray
    first: np.ndarray
    sample_weight: np.ndarray | None
    kwargs: TreeKwargs
    regress: TreeKwargs

    @property
    def targets(self) -> pd.DataFrame:
        return self.prepared.targets

    def weight(self, rows: np.ndarray) -> np.ndarray | None:
        """The sample weights of ``rows`` (None: all rows once)."""
        return None if self.sample_weight is None else self.sample_weight[rows]


def prepare(factories: pd.DataFrame, outcomes: pd.DataFrame, catalogue: Catalogue) -> Prepared:
    """Targets of ``outcomes`` and the design spec: every measure key outcomes name plus every
    physical catalogue measure that is not a route measure."""
    factories = factories.reset_index(drop=True)
    energy = FactoryEnergy.of(factories)
    targets = outcome_targets(factories, outcomes, catalogue, energy)
    physical = [
        m.id
        for m in catalogue.measures.values()
        if m.reduction_kind == "physical" and m.route is None
    ]
    keys = sorted(set(targets["key"]) | set(physical))
    identified = int(targets["key"].isin(list(catalogue.measures)).sum())
    spec = DesignSpec(measure_keys=tuple(keys))
    return Prepared(factories, outcomes, energy, targets, spec, identified)


def tree_kwargs(config: BundleConfig, spec: DesignSpec) -> TreeKwargs:
    """The tree models' arguments from ``config``."""
    return {
        "n_estimators": config.n_estimators,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "max_depth": config.max_depth,
        "min_child_samples": config.min_child_samples,
        "categorical_features": tuple(spec.categorical_indices),
        "random_state": config.random_state,
        "n_jobs": config.n_jobs,
    }


def training_set(
    prepared: Prepared, catalogue: Catalogue, config: BundleConfig, kwargs: TreeKwargs
) -> TrainingSet:
    """The outcome rows' pairs and design, and how much each counts."""
    targets, outcomes, energy = prepared.targets, prepared.outcomes, prepared.energy
    # Outcomes of catalogue measures beside outcomes of coarse classes (real audits whose
    # measure code was rounded): the regressors split on which kind a row is before
    # anything else, so what identifies the coarse rows' source (US states, their years)
    # never carries their scale (a share of all the plant's energy) to a catalogue measure
    # (a share of its end uses) at a plant like theirs.
    regress = kwargs
    if 0 < prepared.identified < len(targets):
        regress = kwargs | {"split_first": prepared.spec.names.index("catalogue_measure")}
    rows = targets["factory_row"].to_numpy()
    found = pairs(energy, rows, targets["key"].to_numpy(), catalogue)
    X = design_matrix(prepared.spec, energy, found, catalogue, dtype=np.float32)
    y = targets["log_fraction"].to_numpy()
    metered = metered_mask(outcomes, targets["implemented"].to_numpy(), y)
    # Metered outcomes count above estimates in the energy models (None: all rows once).
    sample_weight = metered_weights(metered, savings_log_sd(outcomes), config.metered_weight)
    return TrainingSet(
        prepared,
        catalogue,
        found,
        X,
        rows,
        metered,
        first_reported(outcomes),
        sample_weight,
        kwargs,
        regress,
    )


def fit_applicability(
    prepared: Prepared, catalogue: Catalogue, kwargs: TreeKwargs
) -> GBMClassifier:
    """P(an auditor recommends the measure) over every candidate pair of every factory."""
    spec, energy, targets = prepared.spec, prepared.energy, prepared.targets
    measures = [catalogue.measures[k] for k in spec.measure_keys if k in catalogue.measures]
    measures = [m for m in measures if m.reduction_kind == "physical"]
    # (factory, measure) as one integer per pair: no Python tuple per candidate.
    codes = {k: i for i, k in enumerate(spec.measure_keys)}
    width = len(codes) + 1

    def pair_codes(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
        key_code = np.fromiter(
            (codes.get(str(k), len(codes)) for k in keys.tolist()), dtype=np.int64, count=len(keys)
        )
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

    X = RowBlocks(lengths=tuple(lengths), width=len(spec.names), build=build)
    label = np.concatenate(labels).astype(float)
    return GBMClassifier(**kwargs).fit(X, label)  # type: ignore[arg-type]


def fit_savings(
    config: BundleConfig,
    ts: TrainingSet,
    applicability: GBMClassifier | None,
    progress: Callable[[str], None],
) -> IntervalRegressor:
    """The savings model with its conformal interval, calibrated on the pairs the service
    scores (propensity weights), per family and declared split, and on the latest years when
    ``config.interval_calibration`` says so."""
    targets, X = ts.targets, ts.X
    y = targets["log_fraction"].to_numpy()
    rows = ~np.isnan(y)
    if rows.sum() < 20:
        raise ValueError(f"only {int(rows.sum())} outcomes with energy savings; need >= 20")
    progress(f"savings model with its interval ({int(rows.sum()):,} outcomes)")
    declared = shares_declared(ts.prepared.energy.factories)[ts.found.factory_index]
    weights, strata = calibration_design(config, applicability, ts, declared)
    factories = ts.prepared.factories
    years = pd.to_numeric(factories["reporting_year"], errors="coerce").to_numpy(dtype=float)
    years = years[ts.groups]
    # With calibration on the latest years, the interval also widens for years beyond
    # them at the rate the calibration years show (drift; docs/evaluation.md).
    drift = ts.prepared.spec.names.index("reporting_year")
    interval = IntervalRegressor(
        alpha=config.interval_alpha,
        drift_column=drift,
        **ts.regress,  # type: ignore[arg-type]
    )
    recent = config.interval_calibration == "recent"
    return interval.fit(
        X[rows],
        y[rows],
        ts.groups[rows],
        weights=None if weights is None else weights[rows],
        strata=None if strata is None else strata[rows],
        calibration_order=years[rows] if recent else None,
        sample_weight=ts.weight(rows),
    )


def calibration_design(
    config: BundleConfig,
    applicability: GBMClassifier | None,
    ts: TrainingSet,
    declared: np.ndarray,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Weights and strata for calibrating the savings interval on the pairs the service
    scores, not only those an auditor picked (docs/evaluation.md): each outcome row is
    weighted by 1 / P(picked | x) from the applicability model (clipped), and each measure
    family gets its own margin."""
    strata = (
        interval_strata(ts.found.keys, ts.catalogue, declared)
        if config.interval_by_family
        else None
    )
    weights = None
    if config.interval_propensity_weights and applicability is not None:
        picked = np.clip(applicability.predict_proba(ts.X), PROPENSITY_FLOOR, 1.0)
        weights = 1.0 / picked
    return weights, strata


def fit_side(ts: TrainingSet) -> GBMRegressor | None:
    """Side effects of measures that are not conversions, from every carrier reported (None
    with fewer than 20 such outcomes)."""
    y = ts.targets["side_fraction"].to_numpy()
    conversion = np.array([c is not None for c in ts.found.conversions], dtype=bool)
    rows = ~np.isnan(y) & ~conversion
    if rows.sum() < 20:
        return None
    model = GBMRegressor(**ts.regress)  # type: ignore[arg-type]
    return model.fit(ts.X[rows], y[rows], ts.weight(rows))


def fit_cost(ts: TrainingSet) -> GBMRegressor:
    """Log implementation cost."""
    y = ts.targets["log_cost"].to_numpy()
    rows = ~np.isnan(y)
    return GBMRegressor(**ts.regress).fit(ts.X[rows], y[rows])  # type: ignore[arg-type]


def out_of_fold(ts: TrainingSet, currency: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log capex, log yearly cost savings, log fraction saved) of every outcome row as the
    served models would predict them for a factory outside their training data: folds
    grouped by factory, the savings, side-effect and cost models refit on the other folds
    (the energy models with the sample weights, as served), savings turned into money
    through the same physics and prices as serving (in ``currency``). The log fraction is NaN
    where a fold had too few rows for a model."""
    X, targets, groups = ts.X, ts.targets, ts.groups
    log_cost = np.full(len(X), np.nan)
    log_fraction = np.full(len(X), np.nan)
    side = np.zeros(len(X))
    y_sav = targets["log_fraction"].to_numpy()
    conversion = np.array([c is not None for c in ts.found.conversions], dtype=bool)
    models = (
        (y_sav, log_fraction, None, True),
        (targets["log_cost"].to_numpy(), log_cost, None, False),
        (targets["side_fraction"].to_numpy(), side, conversion, True),
    )
    n_folds = min(OOF_FOLDS, len(np.unique(groups)))
    for train, test in GroupKFold(n_splits=n_folds).split(X, groups=groups):
        for y, out, extra, weighted in models:
            ok = train[~np.isnan(y[train])]
            if extra is not None:
                ok = ok[~extra[ok]]
            if len(ok) < 20:
                continue
            w = ts.weight(ok) if weighted else None
            model = GBMRegressor(**ts.regress).fit(X[ok], y[ok], w)  # type: ignore[arg-type]
            out[test] = model.predict(X[test])
    held_out = log_fraction.copy()
    log_fraction = np.where(np.isnan(log_fraction), np.nanmedian(y_sav), log_fraction)
    energy = ts.prepared.energy
    saved, _ = NetSavings(energy, ts.found, ts.catalogue, side).net_units(log_fraction)
    prices = price_matrix(energy.factories, currency)
    return log_cost, log_savings_of(saved, prices[ts.found.factory_index]), held_out


def realisation_of(ts: TrainingSet, held_out_fraction: np.ndarray) -> Learned:
    """Realisation per measure family from the metered outcome rows (implemented measures
    reported to the outcomes store; each outcome once), as
    :func:`models.served.learn_realisation`: metered savings over the savings model's
    prediction for plants it did not see (``held_out_fraction``, out of fold; the model
    itself learned from these rows, weighted, so its own fit would hide what it leaves);
    empty without enough of them."""
    y = ts.targets["log_fraction"].to_numpy()
    known = ~np.isnan(held_out_fraction) & ~np.isnan(y)
    rows = ts.metered & ts.first & known
    if rows.sum() < MIN_METERED_PER_FAMILY:
        return {}
    residual = y - held_out_fraction
    estimates = known & ~ts.metered
    keys = ts.found.keys
    return learn_realisation(
        residual[rows],
        families(keys[rows], ts.catalogue),
        residual[estimates],
        families(keys[estimates], ts.catalogue),
    )


def fit_adoption(
    config: BundleConfig, ts: TrainingSet, served_cost: np.ndarray, served_savings: np.ndarray
) -> LogisticBoostedClassifier:
    """P(adoption) from the cost and savings the other models predict out of fold (what it
    gets at recommendation time), only on the rows with a known adoption."""
    X = ts.X
    y = ts.targets["implemented"].to_numpy()
    rows = ~np.isnan(y)
    # Only the rows with a known adoption: no full-size copy of the design beside them.
    adoption_X = adoption_inputs(X[rows], served_cost[rows], served_savings[rows])
    leaf = min(config.adoption_min_child_samples, int(len(adoption_X) * ADOPTION_MAX_LEAF_SHARE))
    kwargs = ts.kwargs | {
        "n_estimators": config.adoption_n_estimators,
        "learning_rate": config.adoption_learning_rate,
        "num_leaves": config.adoption_num_leaves,
        "max_depth": config.adoption_max_depth,
        "min_child_samples": max(config.min_child_samples, leaf),
    }
    return LogisticBoostedClassifier(
        # The logistic part: log capex, log yearly savings, payback (as served: out of
        # fold) and the measure's own adoption rate (smoothed; one coefficient, not one per
        # measure: that lowered the held-out AUC, 0.600 vs 0.618 on 300 generated
        # factories); the trees add what the factory's other inputs say, where held-out
        # factories show it helps.
        linear_columns=tuple(range(X.shape[1], adoption_X.shape[1])),
        category_column=ts.prepared.spec.names.index("measure"),
        **kwargs,  # type: ignore[arg-type]
    ).fit(adoption_X, y[rows], groups=ts.groups[rows])


def training_currency(outcomes: pd.DataFrame) -> str:
    """The training outcomes' most common currency (money in answers is in it)."""
    currencies = outcomes["currency"].dropna().astype(str)
    return str(currencies.mode().iloc[0]) if len(currencies) else "USD"


def evidence_counts(
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
