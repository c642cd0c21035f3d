"""The tree explainer gives LightGBM's own exact SHAP values (``pred_contrib``), for every
component model of a bundle and for the split kinds the bundle's trees may hold."""

from __future__ import annotations

import copy
import pickle

import lightgbm as lgb
import numpy as np
import pytest

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.profile import profiles_from_frame
from features.sources import Dataset
from features.table import profile_table
from models.bundle import RecommendationBundle
from models.compiled import component_boosters
from models.estimators import GBMRegressor
from models.treeshap import TreeExplainer, supported


def booster_contributions(model: GBMRegressor, X: np.ndarray) -> np.ndarray:
    return np.asarray(model.booster_.predict(X, pred_contrib=True))


#: Agreement asked of the explainer (measured: 5e-15, summation order only).
TOLERANCE = 1e-9


def _odd_values(X: np.ndarray) -> list[np.ndarray]:
    """``X`` and copies with the inputs LightGBM's splits treat specially: NaN, zeros, values
    below its zero threshold (1e-35), negatives and large category codes."""
    rng = np.random.default_rng(3)
    missing = X.copy()
    missing[rng.random(X.shape) < 0.15] = np.nan
    zeros = X.copy()
    zeros[rng.random(X.shape) < 0.15] = 0.0
    tiny = X.copy()
    tiny[rng.random(X.shape) < 0.15] = 1e-40
    negative = X.copy()
    negative[rng.random(X.shape) < 0.1] = -3.0
    large = X.copy()
    large[rng.random(X.shape) < 0.1] = 1_000.0
    return [X, missing, zeros, tiny, negative, large]


def test_every_component_model_is_explained_as_lightgbm_does(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    bundle = copy.deepcopy(tiny_bundle)
    profiles, rejected = profiles_from_frame(tiny_data.factories.head(40))
    assert not rejected
    _, _, scored, _ = bundle.score_candidates(
        profile_table(profiles), profiles, FactorTable.default(), Catalogue.default()
    )
    X = scored.X
    adoption_X = bundle.adoption_inputs(X, scored.log_cost, scored.log_savings)
    boosters = component_boosters(bundle)
    assert len(boosters) >= 7  # savings (median, lower, upper), cost, side, applicability, adoption
    categorical = 0
    for estimator, attr, booster in boosters:
        assert supported(booster)
        explainer = estimator.explainer(attr)
        assert isinstance(explainer, TreeExplainer)
        rows = adoption_X if estimator is bundle.adoption_ else X
        for variant in _odd_values(rows):
            ours = explainer.explain(variant)
            theirs = estimator.lightgbm_contributions(attr, variant)
            assert ours.shape == theirs.shape == (len(rows), rows.shape[1] + 1)
            assert np.max(np.abs(ours - theirs)) <= TOLERANCE, (attr, np.max(np.abs(ours - theirs)))
        categorical += "num_cat=0" not in booster.model_to_string()
    assert categorical > 0  # the bundle's trees split on categories too

    # The served path: contributions() are the explainer's, and rows sum to the raw prediction.
    contributions = bundle.savings_.contributions(X)
    raw = bundle.savings_.median_.predict(X, raw_score=True)
    assert np.allclose(contributions.sum(axis=1), raw, atol=1e-9)
    # Explainers are rebuilt where the bundle is loaded, never pickled.
    assert "_explainers" not in pickle.loads(pickle.dumps(bundle.savings_)).__dict__


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_split_kinds_missing_zero_and_categories(zero_as_missing: bool) -> None:
    """Missing values as NaN or as zero, default directions, and category bitsets."""
    rng = np.random.default_rng(7)
    n = 3_000
    X = np.column_stack([
        rng.normal(size=n), rng.integers(0, 40, size=n).astype(float),
        np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
        np.where(rng.random(n) < 0.2, np.nan, rng.exponential(size=n)),
    ])  # fmt: skip
    y = X[:, 0] + (X[:, 1] % 3 == 0) + np.nan_to_num(X[:, 3]) + 2 * (X[:, 2] == 0)
    params = {"objective": "regression", "num_leaves": 15, "max_depth": 4, "verbose": -1,
              "zero_as_missing": zero_as_missing, "min_data_per_group": 5,
              "max_cat_to_onehot": 4, "cat_smooth": 1}  # fmt: skip
    booster = lgb.train(params, lgb.Dataset(X, y, categorical_feature=[1]), num_boost_round=30)
    assert "num_cat=0" not in booster.model_to_string().split("Tree=1")[0]
    explainer = TreeExplainer(booster)
    for variant in _odd_values(X[:500]):
        ours = explainer.explain(variant)
        theirs = booster.predict(variant, pred_contrib=True)
        assert np.max(np.abs(ours - theirs)) <= TOLERANCE


def test_deep_trees_fall_back_to_lightgbm() -> None:
    """Trees deeper than the explainer's tables allow are explained by LightGBM itself."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4_000, 20))
    y = np.sin(X).sum(axis=1)
    params = {"objective": "regression", "num_leaves": 200, "min_data_in_leaf": 2,
              "verbose": -1}  # fmt: skip
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=3)
    assert not supported(booster)
    with pytest.raises(ValueError, match="too large"):
        TreeExplainer(booster)
    model = GBMRegressor(n_estimators=3, num_leaves=200, min_child_samples=2).fit(X, y)
    assert model.explainer("booster_") is None
    assert np.array_equal(model.contributions(X[:50]), booster_contributions(model, X[:50]))
    with pytest.raises(ValueError, match="shape"):
        TreeExplainer(lgb.train({**params, "num_leaves": 8}, lgb.Dataset(X, y), 2)).explain(
            X[:, :3]
        )
