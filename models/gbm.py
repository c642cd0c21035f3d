"""LightGBM estimators following scikit-learn conventions, on numpy inputs: the shared base
(parameters, the training call, explanations), :class:`GBMRegressor` (squared error, used on
log targets) and :class:`GBMClassifier` (binary, with probabilities). Boosters train through
the trainer in effect (:func:`trained_with`; in this process by default).

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from models.config import TREE
from models.row_blocks import RowBlocks, _BlockSequence

if TYPE_CHECKING:
    from models.treeshap import TreeExplainer

logger = logging.getLogger("decarb.models")


_SILENT = {"verbose": -1}


#: Row blocks up to this size (as float32) are joined and trained from memory. ASSUMPTION: a
#: quarter GB is small beside the data a training holds (100k generated factories: 0.86 GB of
#: candidate design, read out of core; 10k: 0.09 GB, joined).
IN_MEMORY_DESIGN_BYTES = 256 * 2**20


#: Trains one booster: (LightGBM params, X, y, categorical column indices, boosting rounds).
BoosterTrainer = Callable[
    [dict[str, Any], "np.ndarray | RowBlocks", np.ndarray, list[int], int], lgb.Booster
]


@dataclass(frozen=True)
class InProcessTrainer:
    """The default trainer: ``lgb.train`` in this process (large row blocks read out of core,
    small ones joined into one matrix: the same booster either way, and one build of each
    block instead of two). ``init_score``: a raw score per row the trees start from;
    ``weight``: a weight per row (None: every row counts once)."""

    init_score: np.ndarray | None = None
    weight: np.ndarray | None = None

    def __call__(
        self,
        params: dict[str, Any],
        X: np.ndarray | RowBlocks,
        y: np.ndarray,
        categorical: list[int],
        rounds: int,
    ) -> lgb.Booster:
        init_score, weight = self.init_score, self.weight
        if isinstance(X, RowBlocks) and len(X) * X.width * 4 <= IN_MEMORY_DESIGN_BYTES:
            X = np.concatenate([X.build(i) for i, n in enumerate(X.lengths) if n])
        source: np.ndarray | list[_BlockSequence] = X if not isinstance(X, RowBlocks) else []
        if isinstance(X, RowBlocks):
            cache: dict[int, np.ndarray] = {}
            source = [_BlockSequence(X, i, cache) for i in range(len(X.lengths)) if X.lengths[i]]
        data = lgb.Dataset(
            source,
            label=y,
            categorical_feature=categorical,
            free_raw_data=True,
            init_score=init_score,
            weight=weight,
        )
        return lgb.train(params, data, num_boost_round=rounds)


#: The in-process trainer without per-row scores or weights.
train_in_process = InProcessTrainer()


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

    def __init__(  # noqa: PLR0913  (scikit-learn: one keyword per hyperparameter)
        self,
        *,
        n_estimators: int = TREE.n_estimators,
        learning_rate: float = TREE.learning_rate,
        num_leaves: int = TREE.num_leaves,
        max_depth: int = TREE.max_depth,
        min_child_samples: int = TREE.min_child_samples,
        subsample: float = TREE.subsample,
        colsample: float = TREE.colsample,
        categorical_features: tuple[int, ...] = (),
        n_jobs: int = TREE.n_jobs,
        random_state: int = TREE.random_state,
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
                logger.warning(
                    "tree explainer unavailable, LightGBM explains",
                    extra={"booster": name, "error": str(exc)[:500]},
                )
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
            trainer = InProcessTrainer(weight=sample_weight)
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
