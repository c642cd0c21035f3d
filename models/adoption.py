"""The adoption model: a logistic regression on payback, cost, savings and the measure, with
boosted trees from its log-odds for what the factory's other inputs add."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np

from models.config import TREE
from models.gbm import GBMClassifier, InProcessTrainer, _check_fitted, _check_xy
from models.row_blocks import RowBlocks

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

    def __init__(  # noqa: PLR0913  (scikit-learn: one keyword per hyperparameter)
        self,
        *,
        linear_columns: tuple[int, ...] = (),
        category_column: int | None = None,
        validation_fraction: float = 0.2,
        patience: int = 20,
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
    ) -> None:
        super().__init__(
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            num_leaves=num_leaves,
            max_depth=max_depth,
            min_child_samples=min_child_samples,
            subsample=subsample,
            colsample=colsample,
            categorical_features=categorical_features,
            n_jobs=n_jobs,
            random_state=random_state,
        )
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
        self._fit_linear(X, y_checked, groups, two_classes=len(labels) == 2)
        base = self.linear_margin(X)
        params = self._params("binary")
        self.n_trees_ = self.n_estimators
        if groups is not None and self.validation_fraction > 0:
            self.n_trees_ = self._trees_that_help(X, y_checked, base, np.asarray(groups), params)
        trainer = InProcessTrainer(init_score=base)
        self.booster_ = trainer(
            params, X, y_checked, list(self.categorical_features), self.n_trees_
        )
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_linear(
        self, X: np.ndarray, y_checked: np.ndarray, groups: np.ndarray | None, two_classes: bool
    ) -> None:
        """The logistic part: medians and means of its columns, the category's smoothed
        log-odds (out of fold), its coefficients and intercept."""
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
        if two_classes and inputs.shape[1]:
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
        self,
        X: np.ndarray,
        y: np.ndarray,
        base: np.ndarray,
        groups: np.ndarray,
        params: dict[str, Any],
    ) -> int:
        """Boosting rounds that lower the log loss of held-out groups (at least 1)."""
        rng = np.random.default_rng(self.random_state)
        unique = np.unique(groups)
        held = rng.choice(
            unique, size=max(1, int(len(unique) * self.validation_fraction)), replace=False
        )
        valid = np.isin(groups, held)
        if valid.all() or not valid.any() or len(np.unique(y[valid])) < 2:
            return int(self.n_estimators)
        categorical = list(self.categorical_features)
        train = lgb.Dataset(
            X[~valid],
            label=y[~valid],
            init_score=base[~valid],
            categorical_feature=categorical,
            free_raw_data=True,
        )
        check = lgb.Dataset(
            X[valid],
            label=y[valid],
            init_score=base[valid],
            categorical_feature=categorical,
            reference=train,
        )
        booster = lgb.train(
            {**params, "metric": "binary_logloss"},
            train,
            num_boost_round=self.n_estimators,
            valid_sets=[check],
            callbacks=[lgb.early_stopping(self.patience, verbose=False)],
        )
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
