from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from rich.console import Console

from features.profile import parse_profile, profiles_to_frame
from features.report import example_profile_data
from features.sources import Dataset, SyntheticConfig, generate
from features.sources.cli import write_dataset
from models.bundle import COARSE_MODEL_WARNING
from models.pyfunc import OPTIONS_PARAMS, load_bundle, pyfunc_input, use_store
from models.schemas import RecommendOptions
from models.trust import SHA256_TAG
from training.cli import comparison_rows, train
from training.config import TrainConfig, load_config
from training.evaluate import ndcg_at, recall_at
from training.pipeline import baseline_losses, guard_failures, insane_metrics, run_training
from training.split import split_by_factory


def test_ndcg_and_recall_by_hand() -> None:
    ranked = ["a", "b", "c", "d"]
    # relevant b and d: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / 1.5849625 + 1 / 2.3219281) / (1 + 1 / 1.5849625)
    assert ndcg_at(ranked, {"b", "d"}, 5) == pytest.approx(expected, rel=1e-6)
    assert ndcg_at(ranked, {"a"}, 5) == 1.0
    assert recall_at(ranked, {"b", "z"}, 2) == 0.5


def test_split_is_grouped_by_factory_and_supports_a_time_holdout(tiny_data: Any) -> None:
    split = split_by_factory(tiny_data, TrainConfig(test_fraction=0.25, seed=1))
    train_ids = set(split.train_factories["factory_id"])
    test_ids = set(split.test_factories["factory_id"])
    assert not train_ids & test_ids
    assert set(split.test_outcomes["factory_id"]) <= test_ids
    assert len(split.train_outcomes) + len(split.test_outcomes) == len(tiny_data.outcomes)
    timed = split_by_factory(tiny_data, TrainConfig(time_holdout_from_year=2024))
    assert (timed.test_factories["reporting_year"] >= 2024).all()
    assert (timed.train_factories["reporting_year"] < 2024).all()


def test_config_from_yaml_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("n_factories: 800\nn_estimators: 50\nlearning_rate: 0.1\n")
    config = load_config(path, {"n_estimators": 70, "seed": None})
    assert (config.n_factories, config.n_estimators, config.learning_rate) == (800, 70, 0.1)
    path.write_text("n_trees: 5\n")
    with pytest.raises(ValueError, match="n_trees"):
        load_config(path, {})


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_hyperparameter_search_logs_nested_trials(store: str) -> None:
    config = TrainConfig(
        source="synthetic",
        n_factories=300,
        seed=2,
        tracking_uri=store,
        search_trials=2,
        n_estimators=20,
        register_model=False,
    )
    result = run_training(config)
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("decarb-recommender")
    children = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert len(children) == 2
    assert all("validation_savings_r2_log" in c.data.metrics for c in children)
    parent = client.get_run(result.run_id)
    assert "search.best.num_leaves" in parent.data.params
    assert "not registered" in result.reason


def test_end_to_end_training_registry_and_champion_gate(store: str, tmp_path: Path) -> None:
    base = {"source": "synthetic", "n_factories": 500, "seed": 5, "tracking_uri": store,
            "num_leaves": 15, "min_child_samples": 10}  # fmt: skip
    first = run_training(TrainConfig(n_estimators=60, **base))  # type: ignore[arg-type]
    assert first.promoted
    assert first.model_version == "1"
    assert first.reason == "no champion yet"
    for key in ("savings_r2_log", "savings_interval_coverage", "adoption_roc_auc",
                "baseline_logistic.adoption_roc_auc", "model_tco2e.hit_at_5",
                "model_tco2e.regret_at_5", "baseline_global_popularity.ndcg_at_10"):  # fmt: skip
        assert key in first.metrics

    # The same settings give the same model: it does not beat the champion it equals.
    worse = run_training(TrainConfig(n_estimators=60, **base))  # type: ignore[arg-type]
    assert not worse.promoted
    assert "does not beat champion v1" in worse.reason
    assert worse.champion_metrics is not None
    # Two trees lose to the per-measure median before the champion is even asked.
    weak = run_training(TrainConfig(n_estimators=2, **base))  # type: ignore[arg-type]
    assert not weak.promoted
    assert weak.reason.startswith("not promoted: loses to a baseline: savings_r2_log")

    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    champion = client.get_model_version_by_alias("decarb-recommender", "champion")
    assert str(champion.version) == "1"
    challenger = client.get_model_version("decarb-recommender", "2")
    assert challenger.tags["role"] == "challenger"
    assert challenger.description == f"Gate: {worse.reason}"  # the whole reason, readable
    # The guards are part of the gate's decision and of its recorded reason.
    banded = run_training(TrainConfig(n_estimators=60, coverage_band=(0.99, 1.0), **base))  # type: ignore[arg-type]
    assert not banded.promoted
    assert "guard savings_interval_coverage" in banded.reason
    assert "outside 0.99-1" in banded.reason
    version = client.get_model_version("decarb-recommender", str(banded.model_version))
    assert "guard savings_interval_coverage" in version.description
    run = client.get_run(first.run_id)
    assert run.data.tags["data.fingerprint"]
    # Runs explain themselves: a name from source, size and settings, a description, the
    # training data as a dataset with its digest, and the versions it was built with.
    assert run.info.run_name == "synthetic-500f-seed5-60trees-lr0.1-auto"
    assert "500 factories" in run.data.tags["mlflow.note.content"]
    assert run.data.tags["catalogue.version"]
    assert run.data.tags["factor_table.version"]
    (dataset,) = run.inputs.dataset_inputs
    assert dataset.dataset.name == "synthetic-outcomes"
    assert dataset.dataset.digest
    artifacts = {a.path for a in client.list_artifacts(first.run_id)}
    assert {"data_report.txt", "evaluation.md", "evaluation.json", "plots"} <= artifacts
    plots = {a.path for a in client.list_artifacts(first.run_id, "plots")}
    assert "plots/abatement_cost_curve.png" in plots
    assert "plots/shap_summary_savings.png" in plots

    loaded = load_bundle("models:/decarb-recommender@champion")
    assert (loaded.version, loaded.run_id) == ("1", first.run_id)
    # Generated money is in the 2023 prices of the package's price table; the card says so.
    assert loaded.bundle.money_base_year_ == 2023
    profile = parse_profile(example_profile_data())
    direct = loaded.bundle.recommend([profile])[0]
    assert direct.recommendations

    pyfunc = mlflow.pyfunc.load_model("models:/decarb-recommender@champion")
    out = pyfunc.predict(pyfunc_input(profiles_to_frame([profile])))
    via_pyfunc = json.loads(out["result"][0])
    assert [r["measure_id"] for r in via_pyfunc["recommendations"]] == [
        r.measure_id for r in direct.recommendations
    ]
    # Options travel as MLflow params (declared in the signature, else MLflow drops them).
    assert {p.name for p in OPTIONS_PARAMS.params} == set(RecommendOptions.model_fields)
    out = pyfunc.predict(
        pyfunc_input(profiles_to_frame([profile])),
        params={"top_k": 3, "explain": "none", "objective": "lowest_cost_per_tco2e"},
    )
    three = json.loads(out["result"][0])["recommendations"]
    expected = loaded.bundle.recommend(
        [profile], RecommendOptions(top_k=3, explain="none", objective="lowest_cost_per_tco2e")
    )[0]
    assert [r["measure_id"] for r in three] == [r.measure_id for r in expected.recommendations]
    assert len(three) == 3
    assert all(r["explanation"] is None for r in three)


def test_a_model_without_measure_identity_is_registered_but_never_champion(
    store: str, tmp_path: Path
) -> None:
    data = generate(SyntheticConfig(n_factories=300, seed=8))
    coarse = Dataset(
        data.factories, data.outcomes.assign(measure_id=None), None, data.report
    )  # only the coarse group (the measure family) is left, as in the IAC release here
    write_dataset(coarse, tmp_path / "tables", "csv")
    result = run_training(
        TrainConfig(
            source="files",
            path=str(tmp_path / "tables"),
            tracking_uri=store,
            n_estimators=20,
            num_leaves=7,
            min_child_samples=10,
        )
    )
    assert result.model_version == "1"
    assert not result.promoted
    assert "without measure identity" in result.reason
    client = mlflow.MlflowClient()
    assert client.get_model_version("decarb-recommender", "1").tags["role"] == "challenger"
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("decarb-recommender", "champion")
    bundle = load_bundle("models:/decarb-recommender/1").bundle
    result_for_factory = bundle.recommend([parse_profile(example_profile_data())])[0]
    assert result_for_factory.warnings[0] == COARSE_MODEL_WARNING


def test_a_run_killed_midway_is_marked_failed_at_the_next_start(store: str) -> None:
    """A training killed with SIGKILL leaves its run RUNNING; the next training marks it
    FAILED, and every registered version carries its role and gate tags."""
    use_store(store, "decarb-recommender")
    dead = subprocess.Popen(["true"])
    dead.wait()
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("decarb-recommender")
    assert experiment is not None
    host = socket.gethostname()
    ghost = client.create_run(experiment.experiment_id, tags={"host": host, "pid": str(dead.pid)})
    mine = {"host": host, "pid": str(os.getpid())}
    alive = client.create_run(experiment.experiment_id, tags=mine)
    config = TrainConfig(
        source="synthetic",
        n_factories=300,
        seed=3,
        tracking_uri=store,
        n_estimators=20,
        num_leaves=7,
        min_child_samples=10,
    )
    result = run_training(config)
    assert client.get_run(ghost.info.run_id).info.status == "FAILED"
    assert "process gone" in client.get_run(ghost.info.run_id).data.tags["ended"]
    assert client.get_run(alive.info.run_id).info.status == "RUNNING"  # its process lives
    client.set_terminated(alive.info.run_id, "KILLED")
    run = client.get_run(result.run_id)
    assert run.data.tags["pid"] == str(os.getpid())
    for version in client.search_model_versions("name='decarb-recommender'"):
        assert version.tags.get("role") in ("champion", "challenger")
        assert version.tags.get("gate")


def test_the_gate_refuses_an_evaluation_that_fails_sanity_checks() -> None:
    good = {"model_tco2e.ndcg_at_10": 0.7, "savings_interval_coverage": 0.8,
            "adoption_roc_auc": 0.75}  # fmt: skip
    assert insane_metrics(good, "model_tco2e.ndcg_at_10") == []
    broken = {**good, "model_tco2e.ndcg_at_10": float("nan")}
    assert insane_metrics(broken, "model_tco2e.ndcg_at_10") == ["model_tco2e.ndcg_at_10 is nan"]
    assert insane_metrics({**good, "savings_interval_coverage": 0.2}, "x") == [
        "savings_interval_coverage 0.200 below 0.5 for an 80% interval"
    ]
    assert insane_metrics({**good, "adoption_roc_auc": 1.7}, "x") == [
        "adoption_roc_auc 1.7 outside [0, 1]"
    ]


def test_the_gate_refuses_a_model_that_loses_to_a_baseline() -> None:
    config = TrainConfig()  # primary savings_r2_log; guards adoption_roc_auc, cost_r2_log
    wins = {
        "savings_r2_log": 0.30, "baseline_measure_median.savings_r2_log": 0.10,
        "baseline_lightgbm_raw.savings_r2_log": 0.25, "adoption_roc_auc": 0.62,
        "baseline_measure_rate.adoption_roc_auc": 0.50,
        "baseline_logistic_served.adoption_roc_auc": 0.55, "cost_r2_log": 0.2,
        # Not gated: a metric that is neither primary nor guard may lose.
        "model_tco2e.hit_at_5": 0.4, "baseline_global_popularity.hit_at_5": 0.5,
    }  # fmt: skip
    assert baseline_losses(wins, config) == []
    loses = {**wins, "baseline_logistic_served.adoption_roc_auc": 0.63}
    assert baseline_losses(loses, config) == [
        "adoption_roc_auc 0.6200 vs baseline_logistic_served.adoption_roc_auc 0.6300"
    ]
    # An AUC within its standard error of the baseline's is sampling noise, not a loss.
    noisy = {**loses, "adoption_roc_auc_se": 0.015}
    assert baseline_losses(noisy, config) == []
    beyond = {**noisy, "baseline_logistic_served.adoption_roc_auc": 0.64}
    assert baseline_losses(beyond, config) == [
        "adoption_roc_auc 0.6200 vs baseline_logistic_served.adoption_roc_auc 0.6400 (beyond "
        "its standard error 0.0150)"
    ]
    raw = {**wins, "baseline_lightgbm_raw.savings_r2_log": 0.31}
    assert baseline_losses(raw, config) == [
        "savings_r2_log 0.3000 vs baseline_lightgbm_raw.savings_r2_log 0.3100"
    ]
    # A primary metric where lower is better loses when it is higher.
    regret = TrainConfig(primary_metric="model_tco2e.regret_at_5",
                         primary_metric_higher_is_better=False, guard_metrics=[])  # fmt: skip
    both = {"model_tco2e.regret_at_5": 0.2, "baseline_sector_popularity.regret_at_5": 0.15}
    assert baseline_losses(both, regret) == [
        "model_tco2e.regret_at_5 0.2000 vs baseline_sector_popularity.regret_at_5 0.1500"
    ]


def test_a_model_that_loses_to_a_baseline_is_registered_but_never_champion(store: str) -> None:
    # One tree at learning rate 0.1 barely moves from the overall mean: the per-measure median
    # beats it on savings, the primary metric. Even with no champion yet it must not serve.
    config = TrainConfig(
        source="synthetic",
        n_factories=300,
        seed=4,
        tracking_uri=store,
        n_estimators=1,
        num_leaves=7,
        min_child_samples=10,
    )
    result = run_training(config)
    assert result.model_version == "1"
    assert not result.promoted
    assert result.reason.startswith("not promoted: loses to a baseline: savings_r2_log")
    assert "baseline_measure_median.savings_r2_log" in result.reason
    client = mlflow.MlflowClient()
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias("decarb-recommender", "champion")


def test_guards_stop_a_challenger_that_regresses_elsewhere() -> None:
    config = TrainConfig(guard_tolerance=0.02, coverage_band=(0.7, 0.9))
    champion = {"adoption_roc_auc": 0.80, "cost_r2_log": 0.50, "savings_interval_coverage": 0.80}
    fine = {"adoption_roc_auc": 0.79, "cost_r2_log": 0.55, "savings_interval_coverage": 0.82}
    assert guard_failures(fine, champion, config) == []
    worse = {**fine, "adoption_roc_auc": 0.70}
    assert guard_failures(worse, champion, config) == [
        "guard adoption_roc_auc 0.7000 is below the champion's 0.8000 by more than 0.02"
    ]
    narrow = {**fine, "savings_interval_coverage": 0.62}
    assert guard_failures(narrow, champion, config) == [
        "guard savings_interval_coverage 0.620 outside 0.7-0.9"
    ]


def test_training_prints_its_stages_and_marks_the_model_against_baselines(store: str) -> None:
    console = Console(record=True, width=200)
    config = TrainConfig(
        source="synthetic",
        n_factories=300,
        seed=4,
        tracking_uri=store,
        n_estimators=20,
        num_leaves=7,
        min_child_samples=10,
    )
    train(config, console)
    text = console.export_text()
    for stage in ("loading data", "targets", "savings model", "cost model", "adoption model",
                  "evaluating", "logging the model", "registering"):  # fmt: skip
        assert stage in text, stage
    assert "Held-out metrics against the baselines" in text
    assert "baseline_measure_rate" in text
    assert ("better" in text) or ("worse" in text)
    assert "CloudPickle" not in text


def test_comparisons_say_which_side_wins() -> None:
    metrics = {
        "model_tco2e.regret_at_5": 0.1,
        "baseline_global_popularity.regret_at_5": 0.3,
        "adoption_roc_auc": 0.80,
        "baseline_measure_rate.adoption_roc_auc": 0.81,
    }
    rows = comparison_rows(metrics)
    assert ("adoption_roc_auc", "0.8000", "baseline_measure_rate 0.8100", "worse") in rows
    assert (
        "model_tco2e.regret_at_5",
        "0.1000",
        "baseline_global_popularity 0.3000",
        "better",
    ) in rows


def test_a_champion_the_loader_refuses_is_replaced_not_compared(store: str) -> None:
    base = {"source": "synthetic", "n_factories": 300, "seed": 6, "tracking_uri": store,
            "n_estimators": 30, "num_leaves": 7, "min_child_samples": 10}  # fmt: skip
    first = run_training(TrainConfig(**base))  # type: ignore[arg-type]
    assert first.promoted
    # The champion's training run loses the digest its bundle is checked against (as for a
    # version registered by hand, or from before digests were recorded).
    client = mlflow.MlflowClient(tracking_uri=store)
    client.delete_tag(first.run_id, SHA256_TAG)
    second = run_training(TrainConfig(**base))  # type: ignore[arg-type]
    assert second.promoted, second.reason
    assert "champion v1 is not a model this project's training produced" in second.reason
    assert second.champion_metrics is None
    champion = client.get_model_version_by_alias("decarb-recommender", "champion")
    assert str(champion.version) == second.model_version


@pytest.mark.parametrize("command", ["decarb-evaluate", "decarb-drift"])
def test_model_commands_name_an_unreachable_store_without_its_password(
    command: str, tmp_path: Path
) -> None:
    password = "Pw-evaluate-77"
    store = f"http://decarb:{password}@127.0.0.1:1"
    profiles = tmp_path / "profiles.csv"
    profiles_to_frame([parse_profile(example_profile_data())]).to_csv(profiles, index=False)
    args = ["--model-uri", "models:/decarb-recommender@champion", "--tracking-uri", store]
    if command == "decarb-drift":
        args = [str(profiles), *args]
    exe = shutil.which(command, path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {**os.environ, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
           "MLFLOW_HTTP_REQUEST_TIMEOUT": "3", "COLUMNS": "200"}  # fmt: skip
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120,
                          env=env, check=False, cwd=tmp_path)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "error" in output
    assert password not in output
