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

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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
) -> lgb.Booster:
    """The default trainer: ``lgb.train`` in this process (large row blocks read out of core,
    small ones joined into one matrix: the same booster either way, and one build of each
    block instead of two)."""
    if isinstance(X, RowBlocks) and len(X) * X.width * 4 <= IN_MEMORY_DESIGN_BYTES:
        X = np.concatenate([X.build(i) for i, n in enumerate(X.lengths) if n])
    if isinstance(X, RowBlocks):
        cache: dict[int, np.ndarray] = {}
        source = [_BlockSequence(X, i, cache) for i in range(len(X.lengths)) if X.lengths[i]]
        data = lgb.Dataset(source, label=y, categorical_feature=categorical, free_raw_data=True)
    else:
        data = lgb.Dataset(X, label=y, categorical_feature=categorical, free_raw_data=True)
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
    ) -> None:
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

    def _train(
        self, X: np.ndarray | RowBlocks, y: np.ndarray, objective: str, **extra: Any
    ) -> lgb.Booster:
        trainer = _trainer.get()
        params = self._params(objective, **extra)
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

    def fit(self, X: np.ndarray, y: np.ndarray) -> GBMRegressor:
        X, y_checked = _check_xy(X, y)
        assert y_checked is not None
        self.booster_ = self._train(X, y_checked, "regression")
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
    """

    def __init__(
        self,
        alpha: float = 0.2,
        calibration_fraction: float = 0.2,
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
        self.alpha = alpha
        self.calibration_fraction = calibration_fraction

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        groups: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        strata: np.ndarray | None = None,
        calibration_order: np.ndarray | None = None,
    ) -> IntervalRegressor:
        """Fit the median and quantile models and calibrate the margin.

        ``weights`` (optional, > 0) reweight the calibration rows towards the population the
        intervals are for (weighted split conformal, Tibshirani et al., NeurIPS 2019); ``strata``
        (optional labels) give each stratum its own margin (Mondrian conformal) where it has at
        least ``MIN_STRATUM`` calibration rows, else the overall margin. ``calibration_order``
        (optional, e.g. the reporting year) puts the groups with the highest values in the
        calibration set instead of random ones, so the margin reflects the latest data.
        """
        X, y_checked = _check_xy(X, y)
        assert y_checked is not None
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
        self.median_ = self._train(X, y_checked, "regression")
        self.lower_ = self._train(X[fit_rows], y_checked[fit_rows], "quantile", alpha=lo)
        self.upper_ = self._train(X[fit_rows], y_checked[fit_rows], "quantile", alpha=hi)
        yc = y_checked[calibration]
        scores = np.maximum(
            self.lower_.predict(X[calibration]) - yc, yc - self.upper_.predict(X[calibration])
        )
        w = np.ones(len(scores)) if weights is None else np.asarray(weights)[calibration]
        self.margin_ = _conformal_margin(scores, w, self.alpha)
        self.margins_: dict[str, float] = {}
        if strata is not None:
            labels = np.asarray(strata).astype(str)[calibration]
            for label in np.unique(labels):
                sel = labels == label
                if sel.sum() >= MIN_STRATUM:
                    self.margins_[str(label)] = _conformal_margin(scores[sel], w[sel], self.alpha)
        self.n_features_in_ = X.shape[1]
        return self

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
            margin = np.array([margins.get(str(v), self.margin_) for v in strata], dtype=float)
        else:
            margin = np.full(len(X), self.margin_)
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
