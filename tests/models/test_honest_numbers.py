"""What the model knows and does not: evidence per measure, inputs outside the training data,
the training data's origin in every answer, the model card, and drift of a batch."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.domain import PSI_DRIFT, DomainSummary
from features.profile import parse_profile, profiles_from_frame, profiles_to_frame
from features.report import example_profile_data
from features.sources.schema import Dataset
from models.bundle import GENERATED_DATA_WARNING, UNKNOWN_SOURCE_WARNING, RecommendationBundle
from models.card import model_card
from models.pyfunc import log_bundle, use_store
from models.schemas import RecommendOptions
from training.drift import app as drift_app


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return example_profile_data()


def test_evidence_counts_are_the_training_outcomes_per_measure_and_sector(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    outcomes = tiny_data.outcomes.dropna(subset=["measure_id"])
    sector = tiny_data.factories.set_index("factory_id")["sector"]
    per_sector = outcomes.assign(sector=outcomes["factory_id"].map(sector))
    for measure_id, group in per_sector.groupby("measure_id"):
        for s, count in group["sector"].value_counts().items():
            assert tiny_bundle.evidence(str(measure_id), str(s)) == (len(group), int(count))
    assert tiny_bundle.evidence("no_such_measure", "steel") == (0, 0)


def test_recommendations_carry_their_evidence(
    tiny_bundle: RecommendationBundle, example: dict[str, Any]
) -> None:
    profile = parse_profile(example)
    (result,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none", min_evidence=0))
    for r in result.recommendations:
        overall, in_sector = tiny_bundle.evidence(r.measure_id, profile.sector.value)
        assert (r.evidence_outcomes, r.evidence_outcomes_in_sector) == (overall, in_sector)
    assert result.not_enough_evidence == []


def test_measures_below_min_evidence_are_listed_apart_not_ranked(
    tiny_bundle: RecommendationBundle, example: dict[str, Any]
) -> None:
    profile = parse_profile(example)
    counts = sorted(
        tiny_bundle.evidence(m, profile.sector.value)[0]
        for m in tiny_bundle.spec_.measure_keys
        if tiny_bundle.evidence(m, profile.sector.value)[0] > 0
    )
    threshold = int(np.median(counts))
    options = RecommendOptions(explain="none", top_k=60, min_evidence=threshold)
    (result,) = tiny_bundle.recommend([profile], options)
    assert result.not_enough_evidence, "expected some measures below the median count"
    for r in result.recommendations:
        assert r.evidence_outcomes is not None
        assert r.evidence_outcomes >= threshold
    for r in result.not_enough_evidence:
        assert r.evidence_outcomes is not None
        assert r.evidence_outcomes < threshold
        assert "not ranked" in r.evidence_note
        assert r.rank == 0


def test_inputs_outside_the_training_data_are_warned_about(
    tiny_bundle: RecommendationBundle, example: dict[str, Any]
) -> None:
    data = copy.deepcopy(example)
    data.update({"employees": 120_000, "reporting_year": 2040})
    (result,) = tiny_bundle.recommend([parse_profile(data)], RecommendOptions(explain="none"))
    by_field = {w.field: w for w in result.input_warnings}
    assert by_field["employees"].code == "outside_training_range"
    assert by_field["employees"].value == 120_000
    assert by_field["employees"].training_range
    assert by_field["reporting_year"].code == "year_beyond_training"
    assert any("employees" in w for w in result.warnings)


def test_unseen_country_and_region_are_warned_about(tiny_bundle: RecommendationBundle) -> None:
    profile = parse_profile(
        {
            "factory_id": "us",
            "country": "US",
            "region": "OH",
            "sector": "machinery",
            "reporting_year": 2021,
            "electricity_kwh": 2.0e6,
        }
    )
    (result,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))
    unseen = {w.field for w in result.input_warnings if w.code == "unseen_category"}
    assert {"country", "region"} <= unseen


def test_an_ordinary_factory_gets_no_input_warning(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    profiles, _ = profiles_from_frame(tiny_data.factories.iloc[:50])
    results = tiny_bundle.recommend(profiles, RecommendOptions(explain="none"))
    warned = sum(bool(r.input_warnings) for r in results)
    assert warned <= 5  # 0.5-99.5th percentile bounds over ~10 fields


def test_answers_say_what_the_model_was_trained_on(
    tiny_data: Dataset, example: dict[str, Any]
) -> None:
    bundle = RecommendationBundle().fit(tiny_data.factories, tiny_data.outcomes)
    profile = parse_profile(example)
    (result,) = bundle.recommend([profile], RecommendOptions(explain="none"))
    assert UNKNOWN_SOURCE_WARNING in result.warnings
    bundle.describe_training("synthetic", {"savings_r2_log": 0.5})
    (result,) = bundle.recommend([profile], RecommendOptions(explain="none"))
    assert GENERATED_DATA_WARNING in result.warnings
    card = model_card(bundle)
    assert card.trained_on.generated is True
    assert card.trained_on.factories == len(tiny_data.factories)
    assert card.trained_on.outcomes == len(tiny_data.outcomes)
    assert card.headline_metrics == {"savings_r2_log": 0.5}
    assert "generated data" in card.summary
    assert GENERATED_DATA_WARNING in card.caveats
    assert card.trained_on.money_base_year is None
    assert "money in" not in card.summary
    # The year whose prices the learned money is in travels to the card and every answer.
    bundle.describe_training("iac", {"savings_r2_log": 0.5}, money_base_year=2024)
    card = model_card(bundle)
    assert card.trained_on.money_base_year == 2024
    assert card.summary.endswith("; money in 2024 prices")
    bundle.describe_training("synthetic", {"savings_r2_log": 0.5})  # shared fixture: as before


def test_drift_is_small_on_the_training_data_and_large_when_shifted(tiny_data: Dataset) -> None:
    domain = DomainSummary.from_table(tiny_data.factories)
    same = domain.drift(tiny_data.factories)
    assert max(v["psi"] for v in same.values() if "psi" in v) < 0.01
    shifted = tiny_data.factories.assign(employees=tiny_data.factories["employees"] * 50)
    report = domain.drift(shifted)
    assert report["employees"]["psi"] > PSI_DRIFT
    assert report["employees"]["share_outside_training_range"] > 0.5


def test_decarb_drift_cli_writes_a_report_and_logs_a_run(
    tmp_path: Path, tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    use_store(store, "drift-test")
    with mlflow.start_run():
        info = log_bundle(tiny_bundle, tiny_data.factories, tmp_path)
    version = mlflow.register_model(info.model_uri, "decarb-recommender").version
    profiles, _ = profiles_from_frame(tiny_data.factories.iloc[:200])
    frame = profiles_to_frame(profiles)
    frame["employees"] = frame["employees"] * 50
    path = tmp_path / "requests.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "drift.json"
    result = CliRunner().invoke(
        drift_app,
        [
            str(path),
            "--model-uri",
            f"models:/decarb-recommender/{version}",
            "--tracking-uri",
            store,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert "employees" in report["drifted_fields"]
    assert report["model_version"] == str(version)
    mlflow.set_tracking_uri(store)
    experiment = mlflow.get_experiment_by_name("decarb-drift")
    assert experiment is not None
    runs = mlflow.search_runs([experiment.experiment_id])
    assert isinstance(runs, pd.DataFrame)
    assert len(runs) == 1
    assert runs["tags.model_version"].iloc[0] == str(version)
    assert runs["metrics.psi.employees"].iloc[0] > PSI_DRIFT


def test_decarb_drift_names_a_bad_row(tmp_path: Path, tiny_data: Dataset) -> None:
    frame = tiny_data.factories.iloc[:5].copy()
    frame.loc[frame.index[2], "sector"] = "spaceships"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(
        drift_app, [str(path), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}", "--no-log"]
    )
    assert result.exit_code == 2
    assert "row 2" in result.output
    assert "sector" in result.output
