"""Evaluation as the service is used: every candidate pair, by year, adoption from the model's
own predictions, any registered model through decarb-evaluate, and training on all data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
from typer.testing import CliRunner

from features.sources.schema import Dataset
from models.estimators import IntervalRegressor
from training.config import TrainConfig
from training.evaluate import evaluate
from training.evaluate_cli import app as evaluate_app
from training.pipeline import run_training
from training.split import split_by_factory


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_evaluation_reports_every_candidate_pair_by_pick_family_size_and_year(
    tiny_bundle: Any, tiny_data: Dataset
) -> None:
    parts = split_by_factory(tiny_data, TrainConfig(seed=1))
    metrics = evaluate(
        tiny_bundle,
        parts.train_factories,
        parts.train_outcomes,
        parts.test_factories,
        parts.test_outcomes,
        tiny_data.truth,
    )
    all_pairs = metrics["savings_interval_coverage_all_candidates"]
    assert 0 < all_pairs < 1
    for part in ("picked", "not_picked", "technology_upgrade", "size_small"):
        assert f"savings_interval_coverage_all_candidates.{part}" in metrics
    # More candidate pairs than outcomes: the ranker scores pairs nobody picked.
    assert metrics["n_candidate_pairs_with_truth"] > len(parts.test_outcomes)
    assert any(k.startswith("savings_interval_coverage.year_") for k in metrics)
    # Adoption as served and at audit time are two named metrics.
    assert "adoption_roc_auc" in metrics
    assert "adoption_audit_time_roc_auc" in metrics


def test_real_data_default_to_a_time_split(tiny_data: Dataset) -> None:
    latest = int(tiny_data.factories["reporting_year"].max())
    parts = split_by_factory(tiny_data, TrainConfig(source="iac", time_holdout_years=2))
    assert parts.description == f"time holdout: test = reporting_year >= {latest - 1}"
    assert parts.test_factories["reporting_year"].min() >= latest - 1
    assert parts.train_factories["reporting_year"].max() < latest - 1
    assert TrainConfig(source="iac").bundle_config().interval_calibration == "recent"
    random_split = split_by_factory(tiny_data, TrainConfig(source="synthetic"))
    assert random_split.description.startswith("grouped by factory")


def test_recent_calibration_measures_the_latest_years() -> None:
    """Noise grows with the year: a margin calibrated on the latest years is wider."""
    rng = np.random.default_rng(0)
    n = 4000
    year = rng.integers(2000, 2020, n)
    X = rng.normal(size=(n, 3))
    y = X[:, 0] + rng.normal(0, 0.2 + 0.1 * (year - 2000), n)
    kw: dict[str, Any] = {"n_estimators": 40, "num_leaves": 7, "random_state": 3}
    random_margin = IntervalRegressor(**kw).fit(X, y).margin_
    recent = IntervalRegressor(**kw).fit(X, y, calibration_order=year)
    assert recent.margin_ > random_margin
    low, _, high = recent.predict_interval(X[year >= 2016])
    inside = (y[year >= 2016] >= low) & (y[year >= 2016] <= high)
    assert inside.mean() >= 0.75


def test_family_margins_and_weights_change_the_calibration() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    X = rng.normal(size=(n, 2))
    family = np.where(rng.random(n) < 0.5, "a", "b")
    y = X[:, 0] + rng.normal(0, np.where(family == "a", 0.1, 1.0), n)
    model = IntervalRegressor(n_estimators=40, num_leaves=7).fit(X, y, strata=family)
    assert model.margins_["b"] > model.margins_["a"]
    low, _, high = model.predict_interval(X, strata=family)
    for label in ("a", "b"):
        sel = family == label
        assert 0.72 <= ((y[sel] >= low[sel]) & (y[sel] <= high[sel])).mean() <= 0.9


def test_decarb_evaluate_reproduces_the_training_runs_evaluation(
    store: str, tmp_path: Path
) -> None:
    options = {"source": "synthetic", "n_factories": 400, "seed": 4, "tracking_uri": store,
               "num_leaves": 15, "min_child_samples": 10, "n_estimators": 40}  # fmt: skip
    trained = run_training(TrainConfig(**options))  # type: ignore[arg-type]
    out = tmp_path / "evaluation.json"
    result = CliRunner().invoke(
        evaluate_app,
        [
            "--model-uri",
            f"models:/decarb-recommender/{trained.model_version}",
            "--source",
            "synthetic",
            "--n-factories",
            "400",
            "--seed",
            "4",
            "--tracking-uri",
            store,
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    assert metrics.keys() == trained.metrics.keys()
    for name, value in trained.metrics.items():
        assert metrics[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    mlflow.set_tracking_uri(store)
    experiment = mlflow.get_experiment_by_name("decarb-evaluations")
    assert experiment is not None
    runs = mlflow.search_runs([experiment.experiment_id])
    assert runs["tags.model_version"].tolist() == [trained.model_version]  # type: ignore[index]


def test_training_on_all_data_is_registered_but_never_champion(store: str) -> None:
    config = TrainConfig(
        source="synthetic",
        n_factories=300,
        seed=2,
        tracking_uri=store,
        split="none",
        n_estimators=20,
        num_leaves=7,
    )
    result = run_training(config)
    assert result.metrics == {}
    assert not result.promoted
    assert "split none" in result.reason
    mlflow.set_tracking_uri(store)
    version = mlflow.MlflowClient().get_model_version("decarb-recommender", "1")
    assert version.tags["role"] == "challenger"
