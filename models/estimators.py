"""LightGBM estimators following scikit-learn conventions, on numpy inputs.

- :class:`GBMRegressor`: squared-error regression (used on log targets).
- :class:`IntervalRegressor`: median plus a conformalised quantile interval (CQR): quantile models
  at ``alpha/2`` and ``1 - alpha/2`` are widened by the calibration residual quantile, so the
  interval covers about ``1 - alpha`` of new factories.
- :class:`GBMClassifier`: binary classification with probabilities.

Every estimator exposes ``contributions(X)``: exact tree SHAP values, LightGBM's
``pred_contrib`` numbers computed by :mod:`models.treeshap` (faster); the last column is the
base value and each row sums to the raw prediction.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

if TYPE_CHECKING:
    from models.treeshap import TreeExplainer

logger = logging.getLogger("decarb.models")

_SILENT = {"verbose": -1}


@dataclass(frozen=True)
class RowBlocks:
    """A design matrix too large to hold at once, as consecutive blocks of rows: block ``i``
    has ``lengths[i]`` rows of ``width`` columns and is built on demand by ``build(i)``
    (float32). Training reads one block at a time; the whole matrix never exists."""

    lengths: tuple[int, ...]
    width: int
    build: Callable[[int], np.ndarray]

    def __len__(self) -> int:
        return sum(self.lengths)


class _BlockSequence(lgb.Sequence):
    """One block of a :class:`RowBlocks` as LightGBM's out-of-core input: LightGBM reads a
    sample of rows in increasing order (to find the bins), then every row in batches, so the
    block is built at most twice and dropped when the reading moves on."""

    def __init__(self, blocks: RowBlocks, index: int, cache: dict[int, np.ndarray]) -> None:
        self.blocks = blocks
        self.index = index
        self.cache = cache  # shared by the blocks of one matrix: at most one entry
        self.batch_size = max(1, blocks.lengths[index])

    def _rows(self) -> np.ndarray:
        if self.index not in self.cache:
            self.cache.clear()
            rows = self.blocks.build(self.index)
            if rows.shape != (self.blocks.lengths[self.index], self.blocks.width):
                raise ValueError(
                    f"block {self.index} has shape {rows.shape}, expected "
                    f"({self.blocks.lengths[self.index]}, {self.blocks.width})"
                )
            self.cache[self.index] = rows
        return self.cache[self.index]

    def __getitem__(self, idx: int | slice | list[int]) -> np.ndarray:
        rows = self._rows()
        if isinstance(idx, slice) and idx.stop is not None and idx.stop >= len(self):
            self.cache.clear()  # the last batch of this block: not needed again
        if isinstance(idx, int | np.integer):  # a sampled row (bins): LightGBM wants float64
            row: np.ndarray = rows[idx].astype(np.float64)
            return row
        part: np.ndarray = rows[idx]
        return part

    def __len__(self) -> int:
        return self.blocks.lengths[self.index]


#: Row blocks up to this size (as float32) are joined and trained from memory. ASSUMPTION: a
#: quarter GB is small beside the data a training holds (100k generated factories: 0.86 GB of
#: candidate design, read out of core; 10k: 0.09 GB, joined).
IN_MEMORY_DESIGN_BYTES = 256 * 2**20


#: Trains one booster: (LightGBM params, X, y, categorical column indices, boosting rounds).
BoosterTrainer = Callable[
    [dict[str, Any], "np.ndarray | RowBlocks", np.ndarray, list[int], int], lgb.Booster
]


def train_in_process(
    params: dict[str, Any],
    X: np.ndarray | RowBlocks,
    y: np.ndarray,
    categorical: list[int],
    rounds: int,
    init_score: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> lgb.Booster:
    """The default trainer: ``lgb.train`` in this process (large row blocks read out of core,
    small ones joined into one matrix: the same booster either way, and one build of each
    block instead of two). ``init_score``: a raw score per row the trees start from;
    ``weight``: a weight per row (None: every row counts once)."""
    if isinstance(X, RowBlocks) and len(X) * X.width * 4 <= IN_MEMORY_DESIGN_BYTES:
        X = np.concatenate([X.build(i) for i, n in enumerate(X.lengths) if n])
    if isinstance(X, RowBlocks):
        cache: dict[int, np.ndarray] = {}
        source = [_BlockSequence(X, i, cache) for i in range(len(X.lengths)) if X.lengths[i]]
        data = lgb.Dataset(source, label=y, categorical_feature=categorical, free_raw_data=True,
                           init_score=init_score, weight=weight)  # fmt: skip
    else:
        data = lgb.Dataset(X, label=y, categorical_feature=categorical, free_raw_data=True,
                           init_score=init_score, weight=weight)  # fmt: skip
    return lgb.train(params, data, num_boost_round=rounds)


_trainer: ContextVar[BoosterTrainer] = ContextVar("booster_trainer", default=train_in_process)


@contextmanager
def trained_with(trainer: BoosterTrainer) -> Iterator[None]:
    """Every estimator fitted inside this block trains its boosters with ``trainer`` (for
    example on a Dask cluster, ``models.cluster.DaskTrainer``); the fitted models are the same
    classes holding plain ``lgb.Booster`` objects either way."""
    token = _trainer.set(trainer)
    try:
        yield
    finally:
        _trainer.reset(token)


def _check_xy(X: np.ndarray, y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):  # float32 design matrices stay float32 (memory)
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X.shape}")
    if y is None:
        return X, None
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinite values")
    return X, y


def _check_weight(sample_weight: np.ndarray | None, n: int) -> np.ndarray | None:
    """``sample_weight`` as n finite positive floats, or None."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise ValueError("sample_weight must be finite and > 0")
    return w


def _check_fitted(model: object, attribute: str) -> None:
    # sklearn's check_is_fitted inspects estimator tags on every call: too slow per request.
    if not hasattr(model, attribute):
        raise NotFittedError(f"{type(model).__name__} is not fitted yet; call fit() first")


class _GBMBase(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Shared parameters and the LightGBM training call."""

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample: float = 0.8,
        categorical_features: tuple[int, ...] = (),
        n_jobs: int = 2,
        random_state: int = 0,
        split_first: int | None = None,
    ) -> None:
        self.split_first = split_first
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample = colsample
        self.categorical_features = categorical_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _params(self, objective: str, **extra: Any) -> dict[str, Any]:
        # Any: LightGBM's parameter dict is heterogeneous.
        return {
            "objective": objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": self.colsample,
            "num_threads": self.n_jobs,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "max_cat_to_onehot": 8,
            "cat_smooth": 10,
            **_SILENT,
            **extra,
        }

    def boosters(self) -> dict[str, lgb.Booster]:
        """The fitted boosters, by attribute name."""
        names = ("booster_", "median_", "lower_", "upper_")
        return {name: getattr(self, name) for name in names if hasattr(self, name)}

    def use_compiled(self, predictors: Mapping[str, Callable[[np.ndarray], np.ndarray]]) -> None:
        """Predict with ``predictors`` (by booster attribute; see ``models.compiled``) instead
        of LightGBM; an empty dict switches back. Explanations always use LightGBM."""
        self._compiled = dict(predictors)

    def _predict_with(self, name: str, X: np.ndarray) -> np.ndarray:
        compiled = self.__dict__.get("_compiled")
        if compiled and name in compiled:
            result: np.ndarray = compiled[name](X)
            return result
        return np.asarray(getattr(self, name).predict(X))

    def __getstate__(self) -> dict[str, Any]:
        # Compiled libraries and explainers belong to the process that built them: never
        # pickled.
        state = dict(super().__getstate__())
        state.pop("_compiled", None)
        state.pop("_explainers", None)
        return state

    def _contributions(self, name: str, X: np.ndarray) -> np.ndarray:
        """Exact SHAP values of booster ``name`` (LightGBM's ``pred_contrib`` numbers), from
        :class:`models.treeshap.TreeExplainer` where the trees allow, else from LightGBM."""
        X = _check_xy(X)[0]
        explainer = self.explainer(name)
        if explainer is None:
            return self.lightgbm_contributions(name, X)
        return explainer.explain(X)

    def explainer(self, name: str) -> TreeExplainer | None:
        """The booster's tree explainer, built on first use (None: trees too deep for it)."""
        from models.treeshap import TreeExplainer, supported  # noqa: PLC0415 (numba: lazy)

        explainers = self.__dict__.setdefault("_explainers", {})
        if name not in explainers:
            booster = getattr(self, name)
            try:
                explainers[name] = TreeExplainer(booster) if supported(booster) else None
            except Exception as exc:  # LightGBM's own values are the same numbers, slower
                logger.warning("tree explainer unavailable, LightGBM explains",
                               extra={"booster": name, "error": str(exc)[:500]})  # fmt: skip
                explainers[name] = None
        found: TreeExplainer | None = explainers[name]
        return found

    def lightgbm_contributions(self, name: str, X: np.ndarray) -> np.ndarray:
        """LightGBM's own exact SHAP values of booster ``name`` (the reference)."""
        return np.asarray(getattr(self, name).predict(_check_xy(X)[0], pred_contrib=True))

    def _can_force(self, column: np.ndarray) -> bool:
        """Whether both sides of the forced split on the 0/1 ``column`` keep at least
        ``min_child_samples`` rows in every tree. LightGBM (4.x) crashes the process, rather than
        refusing, when a forced split leaves a side below that minimum, and with bagging the
        count is the one in each tree's bag: the smaller side's expected bag size must clear the
        minimum by four binomial standard deviations."""
        smaller = float(min((column < 0.5).sum(), (column > 0.5).sum()))
        q = min(max(self.subsample, 0.0), 1.0)
        bagged = smaller * q - 4.0 * np.sqrt(smaller * q * (1.0 - q))
        return smaller > 0 and bagged >= max(self.min_child_samples, 1)

    def _train(
        self,
        X: np.ndarray | RowBlocks,
        y: np.ndarray,
        objective: str,
        sample_weight: np.ndarray | None = None,
        **extra: Any,
    ) -> lgb.Booster:
        trainer = _trainer.get()
        if sample_weight is not None:
            # Weighted boosters train in this process: the cluster trainer takes no weights,
            # and the weighted models (savings, side effects) are of outcome rows only.
            trainer = partial(train_in_process, weight=sample_weight)
        params = self._params(objective, **extra)
        column = (
            None
            if isinstance(X, RowBlocks) or self.split_first is None
            else (X[:, self.split_first])
        )
        if column is None or not self._can_force(column):
            return trainer(params, X, y, list(self.categorical_features), self.n_estimators)
        # Every tree splits first on the 0/1 column ``split_first``, zeros on the left (LightGBM
        # forced splits, read from a file; a threshold of 0 selects LightGBM's zero bin, the
        # only threshold it accepts for a two-valued column).
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "forced_splits.json"
            path.write_text(json.dumps({"feature": self.split_first, "threshold": 0.0}))
            params = {**params, "forcedsplits_filename": str(path)}
            return trainer(params, X, y, list(self.categorical_features), self.n_estimators)


class GBMRegressor(_GBMBase):
    """Gradient-boosted regression with squared error.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = 2 * X[:, 0] + rng.normal(0, 0.1, 200)
    >>> model = GBMRegressor(n_estimators=50, min_child_samples=5).fit(X, y)
    >>> float(np.corrcoef(model.predict(X), y)[0, 1]) > 0.9
    True
    """

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> GBMRegressor:
        """Fit on ``X``, ``y``; ``sample_weight`` (optional, > 0): how much each row counts."""
        X, y_checked = _check_xy(X, y)
        assert y_checked is not None
        w = _check_weight(sample_weight, len(X))
        self.booster_ = self._train(X, y_checked, "regression", w)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        _check_fitted(self, "booster_")
        X, _ = _check_xy(X)
        return self._predict_with("booster_", X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact SHAP values per column, plus the base value as the last column."""
        _check_fitted(self, "booster_")
        return self._contributions("booster_", X)


#: Calibration rows a stratum needs for its own conformal margin (ASSUMPTION: enough for an 80%
#: quantile to move by less than a few rows' worth).
MIN_STRATUM = 50


def _conformal_margin(scores: np.ndarray, weights: np.ndarray, alpha: float) -> float:
    """The (weighted) split-conformal quantile of the scores at level 1 - alpha with the
    finite-sample correction (n + 1) / n."""
    order = np.argsort(scores, kind="stable")
    s, w = scores[order], np.asarray(weights, dtype=float)[order]
    n = len(s)
    level = min(1.0, (1 - alpha) * (n + 1) / n)
    cumulative = np.cumsum(w) / w.sum()
    return float(s[min(int(np.searchsorted(cumulative, level - 1e-12)), n - 1)])


class IntervalRegressor(_GBMBase):
    """Median regression with a conformalised quantile interval of nominal coverage 1 - alpha.

    ``fit`` holds out ``calibration_fraction`` of the groups (factories) to measure how far the
    quantile models miss, and widens the interval by that amount.

    ``drift_column`` (optional): the column of ``X`` that holds the ``calibration_order`` passed
    to ``fit`` (the reporting year). When the calibration groups are the latest ones, the margin
    each year ahead of the quantile models' data needs is measured on them, and its growth per
    year (a weighted straight line through the per-year margins, never negative) widens the
    interval of a row the more years it lies beyond the calibration years: real audits drift,
    and an interval calibrated on past years covers the following ones less and less.
    """

    def __init__(
        self,
        alpha: float = 0.2,
        calibration_fraction: float = 0.2,
        drift_column: int | None = None,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample: float = 0.8,
        categorical_features: tuple[int, ...] = (),
        n_jobs: int = 2,
        random_state: int = 0,
        split_first: int | None = None,
    ) -> None:
        super().__init__(
            n_estimators, learning_rate, num_leaves, max_depth, min_child_samples, subsample,
            colsample, categorical_features, n_jobs, random_state, split_first,
        )  # fmt: skip
        self.alpha = alpha
        self.calibration_fraction = calibration_fraction
        self.drift_column = drift_column

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        groups: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        strata: np.ndarray | None = None,
        calibration_order: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> IntervalRegressor:
        """Fit the median and quantile models and calibrate the margin.

        ``weights`` (optional, > 0) reweight the calibration rows towards the population the
        intervals are for (weighted split conformal, Tibshirani et al., NeurIPS 2019); ``strata``
        (optional labels) give each stratum its own margin (Mondrian conformal) where it has at
        least ``MIN_STRATUM`` calibration rows, else the overall margin. ``calibration_order``
        (optional, e.g. the reporting year) puts the groups with the highest values in the
        calibration set instead of random ones, so the margin reflects the latest data.
        ``sample_weight`` (optional, > 0) is how much each row counts in the median and quantile
        models (metered outcomes above estimates); the calibration keeps ``weights`` only.
        """
        X, y_checked = _check_xy(X, y)
        assert y_checked is not None
        w_fit = _check_weight(sample_weight, len(X))
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        rng = np.random.default_rng(self.random_state)
        groups = np.arange(len(X)) if groups is None else np.asarray(groups)
        unique = np.unique(groups)
        size = max(1, int(len(unique) * self.calibration_fraction))
        if calibration_order is None:
            calibration_groups = rng.choice(unique, size=size, replace=False)
        else:
            order = pd.Series(np.asarray(calibration_order, dtype=float)).groupby(groups).max()
            jitter = rng.random(len(order))  # random among groups of the same year
            ranked = order.index.to_numpy()[np.lexsort((jitter, -order.fillna(-np.inf).to_numpy()))]
            calibration_groups = ranked[:size]
        calibration = np.isin(groups, calibration_groups)
        fit_rows = ~calibration
        lo, hi = self.alpha / 2, 1 - self.alpha / 2
        w_rows = None if w_fit is None else w_fit[fit_rows]
        self.median_ = self._train(X, y_checked, "regression", w_fit)
        self.lower_ = self._train(X[fit_rows], y_checked[fit_rows], "quantile", w_rows, alpha=lo)
        self.upper_ = self._train(X[fit_rows], y_checked[fit_rows], "quantile", w_rows, alpha=hi)
        yc = y_checked[calibration]
        scores = np.maximum(
            self.lower_.predict(X[calibration]) - yc, yc - self.upper_.predict(X[calibration])
        )
        w = np.ones(len(scores)) if weights is None else np.asarray(weights)[calibration]
        self.margin_ = _conformal_margin(scores, w, self.alpha)
        self.margins_: dict[str, float] = {}
        if strata is not None:
            labels = np.asarray(strata).astype(str)[calibration]
            # A label "parent|detail" also calibrates its parent, the fallback of a detail
            # with too few rows.
            parents = np.array([label.split("|", 1)[0] for label in labels.tolist()], dtype=str)
            for column in (parents, labels):
                for label in np.unique(column):
                    sel = column == label
                    if sel.sum() >= MIN_STRATUM:
                        self.margins_[str(label)] = _conformal_margin(
                            scores[sel], w[sel], self.alpha
                        )
        self.drift_per_year_, self.drift_from_ = 0.0, np.inf
        if calibration_order is not None and self.drift_column is not None:
            ordered = np.asarray(calibration_order, dtype=float)
            self._fit_drift(scores, w, ordered[calibration], float(np.nanmax(ordered[fit_rows])))
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_drift(
        self, scores: np.ndarray, weights: np.ndarray, order: np.ndarray, fit_end: float
    ) -> None:
        """Growth of the margin per unit of order (year) beyond the fit rows, from the
        calibration rows' margins at each distance with at least MIN_STRATUM rows."""
        ahead = order - fit_end
        known = ~np.isnan(ahead)
        distances = [d for d in np.unique(ahead[known]) if (ahead == d).sum() >= MIN_STRATUM]
        if len(distances) < 2:
            return
        margins = [_conformal_margin(scores[ahead == d], weights[ahead == d], self.alpha)
                   for d in distances]  # fmt: skip
        counts = np.array([(ahead == d).sum() for d in distances], dtype=float)
        slope = float(np.polyfit(distances, margins, 1, w=np.sqrt(counts))[0])
        self.drift_per_year_ = max(slope, 0.0)
        # The margins above hold at the calibration rows' own mean distance; rows further on
        # get the growth beyond it.
        self.drift_from_ = fit_end + float(np.average(ahead[known], weights=weights[known]))

    def _drift(self, X: np.ndarray) -> np.ndarray | float:
        slope = getattr(self, "drift_per_year_", 0.0)
        if not slope or self.drift_column is None:
            return 0.0
        beyond = X[:, self.drift_column].astype(float) - self.drift_from_
        return np.nan_to_num(np.clip(beyond, 0.0, None)) * slope

    def predict(self, X: np.ndarray) -> np.ndarray:
        _check_fitted(self, "median_")
        return self._predict_with("median_", _check_xy(X)[0])

    def predict_interval(
        self, X: np.ndarray, strata: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lower, median, upper); lower <= median <= upper is enforced. ``strata`` as in
        ``fit`` select each row's margin."""
        _check_fitted(self, "median_")
        X, _ = _check_xy(X)
        mid = self._predict_with("median_", X)
        margins = getattr(self, "margins_", {})
        if strata is not None and margins:
            margin = np.array(
                [
                    margins.get(label, margins.get(label.split("|", 1)[0], self.margin_))
                    for label in (str(v) for v in strata)
                ],
                dtype=float,
            )
        else:
            margin = np.full(len(X), self.margin_)
        margin = margin + self._drift(X)
        low = self._predict_with("lower_", X) - margin
        high = self._predict_with("upper_", X) + margin
        return np.minimum(low, mid), mid, np.maximum(high, mid)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact SHAP values of the median model, plus the base value as the last column."""
        _check_fitted(self, "median_")
        return self._contributions("median_", X)


class GBMClassifier(_GBMBase):
    """Gradient-boosted binary classifier; ``predict_proba`` returns P(class 1)."""

    def fit(self, X: np.ndarray | RowBlocks, y: np.ndarray) -> GBMClassifier:
        """Fit on ``X``, a matrix or :class:`RowBlocks` built a block at a time."""
        if isinstance(X, RowBlocks):
            y_checked = np.asarray(y, dtype=float)
            if y_checked.shape != (len(X),):
                raise ValueError(f"y must have shape ({len(X)},), got {y_checked.shape}")
            width = X.width
        else:
            X, checked = _check_xy(X, y)
            assert checked is not None
            y_checked, width = checked, X.shape[1]
        labels = np.unique(y_checked)
        if not set(labels) <= {0.0, 1.0}:
            raise ValueError(f"y must be 0/1, got values {labels[:5]}")
        self.booster_ = self._train(X, y_checked, "binary")
        self.n_features_in_ = width
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        _check_fitted(self, "booster_")
        return self._predict_with("booster_", _check_xy(X)[0])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(int)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact SHAP values in log-odds, plus the base value as the last column."""
        _check_fitted(self, "booster_")
        return self._contributions("booster_", X)


#: Rows at the overall rate a category level's rate is shrunk with (smoothed encoding).
CATEGORY_PRIOR_ROWS = 20
#: Inverse regularisation strengths the logistic part chooses from (scikit-learn's C).
LOGISTIC_C_GRID = (0.001, 0.01, 0.1, 1.0)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    result: np.ndarray = np.log(q) - np.log1p(-q)
    return result


class LogisticBoostedClassifier(GBMClassifier):
    """A logistic regression on a few columns, with boosted trees on every column learning
    what it misses (the trees start from its log-odds).

    With little data the trees add little and the answer is the logistic regression's; with
    more they add what varies beyond it. Explanations stay exact and additive in log-odds: the
    linear part's SHAP value of a column is its coefficient times the column's distance from
    its training mean (the category enters as one column too), added to the trees' tree SHAP.

    ``linear_columns``: numeric columns of the logistic part (missing values take the training
    median); ``category_column``: an integer-coded column entered as its level's smoothed
    log-odds of y (the level's rate shrunk towards the overall one by ``CATEGORY_PRIOR_ROWS``
    rows; learned out of fold over the groups), one coefficient for all levels; or None.
    ``validation_fraction``: with ``groups`` given to ``fit``, that share of the groups is held
    out to find how many trees help (log loss, stopped after ``patience`` rounds without
    improvement); the trees are then refit on all rows with that many, at most
    ``n_estimators``. On outcomes as noisy as adoption decisions this is the difference between
    trees that add (real audits) and trees that fit noise (docs/evaluation.md). The trees train
    in this process (not on a Dask cluster).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] + rng.logistic(size=400) > 0).astype(float)
    >>> model = LogisticBoostedClassifier(linear_columns=(0,), n_estimators=20).fit(X, y)
    >>> bool(model.predict_proba(X)[X[:, 0] > 1].mean() > 0.7)
    True
    """

    def __init__(
        self,
        linear_columns: tuple[int, ...] = (),
        category_column: int | None = None,
        validation_fraction: float = 0.2,
        patience: int = 20,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_child_samples: int = 20,
        subsample: float = 0.8,
        colsample: float = 0.8,
        categorical_features: tuple[int, ...] = (),
        n_jobs: int = 2,
        random_state: int = 0,
    ) -> None:
        super().__init__(
            n_estimators, learning_rate, num_leaves, max_depth, min_child_samples, subsample,
            colsample, categorical_features, n_jobs, random_state,
        )  # fmt: skip
        self.linear_columns = linear_columns
        self.category_column = category_column
        self.validation_fraction = validation_fraction
        self.patience = patience

    def _linear_inputs(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(numeric inputs with missing values filled, the category's smoothed log-odds)."""
        numeric = np.asarray(X[:, list(self.linear_columns)], dtype=float)
        numeric = np.where(np.isnan(numeric), self.medians_, numeric)
        if self.category_column is None or len(self.levels_) == 0:
            return numeric, np.full(len(X), self.overall_log_odds_)
        return numeric, self._encode(X[:, self.category_column], self.levels_, self.level_log_odds_)

    def _encode(self, codes: np.ndarray, levels: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
        """Each code's level log-odds; a level not among ``levels`` gets the overall one."""
        index = np.clip(np.searchsorted(levels, codes), 0, max(len(levels) - 1, 0))
        seen = (len(levels) > 0) & (levels[index] == codes)
        return np.where(seen, log_odds[index], self.overall_log_odds_)

    def _level_log_odds(self, codes: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(levels, smoothed log-odds of y per level): each level's rate shrunk towards the
        overall rate as if CATEGORY_PRIOR_ROWS rows at that rate were added."""
        known = ~np.isnan(codes)
        levels, inverse = np.unique(codes[known], return_inverse=True)
        positives = np.bincount(inverse, weights=y[known], minlength=len(levels))
        counts = np.bincount(inverse, minlength=len(levels))
        rate = (positives + CATEGORY_PRIOR_ROWS * self.overall_rate_) / (
            counts + CATEGORY_PRIOR_ROWS
        )
        return levels, _logit(rate)

    def _linear_terms(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per numeric column w_j * (x_j - mean_j), the category's term), in log-odds."""
        numeric, encoded = self._linear_inputs(X)
        terms = (numeric - self.means_) * self.coef_
        return terms, (encoded - self.encoded_mean_) * self.category_coef_

    def linear_margin(self, X: np.ndarray) -> np.ndarray:
        """The logistic part's log-odds of each row."""
        terms, category = self._linear_terms(X)
        result: np.ndarray = self.linear_base_ + terms.sum(axis=1) + category
        return result

    def fit(
        self, X: np.ndarray | RowBlocks, y: np.ndarray, groups: np.ndarray | None = None
    ) -> LogisticBoostedClassifier:
        """Fit the logistic part, then the trees from its log-odds (with ``groups``, the
        logistic part's regularisation and the number of trees are found on held-out groups)."""
        if isinstance(X, RowBlocks):
            raise TypeError("LogisticBoostedClassifier needs X as one matrix")
        X, y_checked = _check_xy(X, y)
        assert y_checked is not None
        labels = np.unique(y_checked)
        if not set(labels) <= {0.0, 1.0}:
            raise ValueError(f"y must be 0/1, got values {labels[:5]}")
        numeric = np.asarray(X[:, list(self.linear_columns)], dtype=float)
        medians = np.nanmedian(numeric, axis=0) if numeric.size else np.zeros(0)
        self.medians_ = np.where(np.isnan(medians), 0.0, medians)
        numeric = np.where(np.isnan(numeric), self.medians_, numeric)
        self.means_ = numeric.mean(axis=0) if len(numeric) else np.zeros(numeric.shape[1])
        scale = numeric.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        self.overall_rate_ = float(np.clip(y_checked.mean(), 1e-6, 1 - 1e-6))
        self.overall_log_odds_ = float(_logit(np.array([self.overall_rate_]))[0])
        self.levels_, self.level_log_odds_ = np.zeros(0), np.zeros(0)
        encoded = np.full(len(X), self.overall_log_odds_)
        if self.category_column is not None:
            codes = X[:, self.category_column]
            self.levels_, self.level_log_odds_ = self._level_log_odds(codes, y_checked)
            # The rows' own encodings come from the other groups' outcomes (out of fold), so
            # the coefficient is not fitted to a level's own labels.
            encoded = self._out_of_fold_encoding(codes, y_checked, groups)
        self.encoded_mean_ = float(encoded.mean()) if len(X) else 0.0
        encoded_scale = float(encoded.std()) or 1.0
        inputs = np.column_stack(
            [(numeric - self.means_) / scale, (encoded - self.encoded_mean_) / encoded_scale]
        )
        if self.category_column is None:
            inputs = inputs[:, :-1]
        if len(labels) == 2 and inputs.shape[1]:
            model = self._logistic(inputs, y_checked, groups)
            weights, intercept = model.coef_[0], float(model.intercept_[0])
        else:
            weights, intercept = np.zeros(inputs.shape[1]), self.overall_log_odds_
        n_numeric = numeric.shape[1]
        self.coef_ = weights[:n_numeric] / scale
        self.category_coef_ = (
            float(weights[n_numeric] / encoded_scale) if len(weights) > n_numeric else 0.0
        )
        self.linear_base_ = intercept
        base = self.linear_margin(X)
        params = self._params("binary")
        self.n_trees_ = self.n_estimators
        if groups is not None and self.validation_fraction > 0:
            self.n_trees_ = self._trees_that_help(X, y_checked, base, np.asarray(groups), params)
        self.booster_ = train_in_process(
            params, X, y_checked, list(self.categorical_features), self.n_trees_, base
        )
        self.n_features_in_ = X.shape[1]
        return self

    def _out_of_fold_encoding(
        self, codes: np.ndarray, y: np.ndarray, groups: np.ndarray | None
    ) -> np.ndarray:
        """Each row's level log-odds learned without its own group (3 folds of the groups;
        without groups, from all rows)."""
        folds = 3
        if groups is None or len(np.unique(groups)) < folds:
            return self._encode(codes, self.levels_, self.level_log_odds_)
        from sklearn.model_selection import GroupKFold  # noqa: PLC0415 (training only)

        out = np.empty(len(codes))
        for train, test in GroupKFold(n_splits=folds).split(codes, groups=groups):
            levels, log_odds = self._level_log_odds(codes[train], y[train])
            out[test] = self._encode(codes[test], levels, log_odds)
        return out

    def _logistic(self, inputs: np.ndarray, y: np.ndarray, groups: np.ndarray | None) -> Any:
        """The logistic part, its regularisation chosen by log loss on folds of the groups.
        Any: scikit-learn's estimators are untyped."""
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 (training only)
        from sklearn.model_selection import GroupKFold  # noqa: PLC0415

        folds = 3
        if groups is None or len(np.unique(groups)) < folds:
            return LogisticRegression(max_iter=2000).fit(inputs, y)
        best, best_loss = LOGISTIC_C_GRID[0], np.inf
        for c in LOGISTIC_C_GRID:
            loss = 0.0
            for train, test in GroupKFold(n_splits=folds).split(inputs, groups=groups):
                if len(np.unique(y[train])) < 2:
                    continue
                fitted = LogisticRegression(C=c, max_iter=2000).fit(inputs[train], y[train])
                p = np.clip(fitted.predict_proba(inputs[test])[:, 1], 1e-12, 1 - 1e-12)
                loss -= float(np.sum(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p)))
            if loss < best_loss:
                best, best_loss = c, loss
        self.logistic_c_ = best
        return LogisticRegression(C=best, max_iter=2000).fit(inputs, y)

    def _trees_that_help(
        self, X: np.ndarray, y: np.ndarray, base: np.ndarray, groups: np.ndarray,
        params: dict[str, Any],
    ) -> int:  # fmt: skip
        """Boosting rounds that lower the log loss of held-out groups (at least 1)."""
        rng = np.random.default_rng(self.random_state)
        unique = np.unique(groups)
        held = rng.choice(unique, size=max(1, int(len(unique) * self.validation_fraction)),
                          replace=False)  # fmt: skip
        valid = np.isin(groups, held)
        if valid.all() or not valid.any() or len(np.unique(y[valid])) < 2:
            return int(self.n_estimators)
        categorical = list(self.categorical_features)
        train = lgb.Dataset(X[~valid], label=y[~valid], init_score=base[~valid],
                            categorical_feature=categorical, free_raw_data=True)  # fmt: skip
        check = lgb.Dataset(X[valid], label=y[valid], init_score=base[valid],
                            categorical_feature=categorical, reference=train)  # fmt: skip
        booster = lgb.train(
            {**params, "metric": "binary_logloss"}, train, num_boost_round=self.n_estimators,
            valid_sets=[check], callbacks=[lgb.early_stopping(self.patience, verbose=False)],
        )  # fmt: skip
        return max(1, int(booster.best_iteration or self.n_estimators))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        _check_fitted(self, "booster_")
        X = _check_xy(X)[0]
        trees = _logit(self._predict_with("booster_", X))
        result: np.ndarray = 1.0 / (1.0 + np.exp(-(trees + self.linear_margin(X))))
        return result

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Exact SHAP values in log-odds of trees and logistic part together, plus the base
        value as the last column; each row sums to the log-odds of ``predict_proba``."""
        _check_fitted(self, "booster_")
        X = _check_xy(X)[0]
        out = np.array(self._contributions("booster_", X), dtype=float, copy=True)
        terms, category = self._linear_terms(X)
        out[:, list(self.linear_columns)] += terms
        if self.category_column is not None:
            out[:, self.category_column] += category
        out[:, -1] += self.linear_base_
        return out
