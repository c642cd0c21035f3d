"""Median regression with a conformalised quantile interval (CQR): quantile models at
``alpha/2`` and ``1 - alpha/2`` are widened by the calibration residual quantile, so the
interval covers about ``1 - alpha`` of new factories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.config import TREE
from models.gbm import _check_fitted, _check_weight, _check_xy, _GBMBase

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

    def __init__(  # noqa: PLR0913  (scikit-learn: one keyword per hyperparameter)
        self,
        *,
        alpha: float = 0.2,
        calibration_fraction: float = 0.2,
        drift_column: int | None = None,
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
            split_first=split_first,
        )
        self.alpha = alpha
        self.calibration_fraction = calibration_fraction
        self.drift_column = drift_column

    def fit(  # noqa: PLR0913  (scikit-learn: the data, then keyword fit parameters)
        self,
        X: np.ndarray,
        y: np.ndarray,
        groups: np.ndarray | None = None,
        *,
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
        groups = np.arange(len(X)) if groups is None else np.asarray(groups)
        calibration = self._calibration_rows(groups, calibration_order)
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
            self.margins_ = self._stratum_margins(scores, w, np.asarray(strata)[calibration])
        self.drift_per_year_, self.drift_from_ = 0.0, np.inf
        if calibration_order is not None and self.drift_column is not None:
            ordered = np.asarray(calibration_order, dtype=float)
            self._fit_drift(scores, w, ordered[calibration], float(np.nanmax(ordered[fit_rows])))
        self.n_features_in_ = X.shape[1]
        return self

    def _calibration_rows(
        self, groups: np.ndarray, calibration_order: np.ndarray | None
    ) -> np.ndarray:
        """Rows of the calibration groups: random ones, or with ``calibration_order`` the
        groups with the highest values (random among ties)."""
        rng = np.random.default_rng(self.random_state)
        unique = np.unique(groups)
        size = max(1, int(len(unique) * self.calibration_fraction))
        if calibration_order is None:
            calibration_groups = rng.choice(unique, size=size, replace=False)
        else:
            order = pd.Series(np.asarray(calibration_order, dtype=float)).groupby(groups).max()
            jitter = rng.random(len(order))  # random among groups of the same year
            ranked = order.index.to_numpy()[np.lexsort((jitter, -order.fillna(-np.inf).to_numpy()))]
            calibration_groups = ranked[:size]
        return np.isin(groups, calibration_groups)

    def _stratum_margins(
        self, scores: np.ndarray, weights: np.ndarray, strata: np.ndarray
    ) -> dict[str, float]:
        """The margin of each stratum label (and of its parent) with at least MIN_STRATUM
        calibration rows."""
        margins: dict[str, float] = {}
        labels = strata.astype(str)
        # A label "parent|detail" also calibrates its parent, the fallback of a detail
        # with too few rows.
        parents = np.array([label.split("|", 1)[0] for label in labels.tolist()], dtype=str)
        for column in (parents, labels):
            for label in np.unique(column):
                sel = column == label
                if sel.sum() >= MIN_STRATUM:
                    margins[str(label)] = _conformal_margin(scores[sel], weights[sel], self.alpha)
        return margins

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
        margins = [
            _conformal_margin(scores[ahead == d], weights[ahead == d], self.alpha)
            for d in distances
        ]
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
