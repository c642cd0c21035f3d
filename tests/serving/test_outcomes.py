"""POST /v1/outcomes and GET /v1/outcomes over the app, and the loop they close: outcomes posted
over HTTP move the next model's prediction for that measure toward what was measured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient

from features.errors import InvalidValueError
from features.outcomes import STATUSES
from features.profile import parse_profile
from features.sources.outcome_store import _KEY, OutcomeStore, check_report
from features.sources.schema import Dataset
from features.units import CURRENCIES, Carrier
from models.bundle import RecommendationBundle
from models.schemas import RecommendOptions
from serving.app import create_app
from serving.settings import hash_key
from tests.postgres import postgres_database
from tests.serving.conftest import ADMIN_KEY, READ_KEY, settings_for
from training.config import TrainConfig
from training.pipeline import load_configured

WRITE_KEY = "test-write-key"
WRITE = {"X-API-Key": WRITE_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}
MEASURE = "compressed_air_leak_repair"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'outcomes.db'}"


@pytest.fixture
def outcome_client(model_store: str, store_url: str) -> Iterator[TestClient]:
    settings = settings_for(model_store, database_url=store_url,
                            write_key_hashes=[hash_key(WRITE_KEY)])  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client


def _report(profile: dict[str, Any], kwh_per_year: float, **changes: Any) -> dict[str, Any]:
    body = {
        "factory_id": profile["factory_id"], "measure_id": MEASURE, "status": "implemented",
        "period_start": "2025-01-01", "period_end": "2025-12-31",
        "measured_savings": [{"carrier": "electricity", "value": kwh_per_year, "unit": "kWh"}],
        "actual_capex": 80000, "profile": profile,
    }  # fmt: skip
    body.update(changes)
    return body


def test_posting_outcomes_is_validated_idempotent_and_role_checked(
    outcome_client: TestClient, example_profile: dict[str, Any]
) -> None:
    body = _report(example_profile, 1e5)
    assert outcome_client.post("/v1/outcomes", json=body).status_code == 401
    read = outcome_client.post("/v1/outcomes", json=body, headers={"X-API-Key": READ_KEY})
    assert read.status_code == 403
    headers = {**WRITE, "Idempotency-Key": "plant-7-led-2025"}
    first = outcome_client.post("/v1/outcomes", json=body, headers=headers)
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["annual_savings"]["electricity"] == pytest.approx(1e5 * 365.25 / 365)
    replay = outcome_client.post("/v1/outcomes", json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == stored["id"]
    assert replay.json()["replayed"] is True
    conflict = outcome_client.post("/v1/outcomes", json={**body, "actual_capex": 1},
                                   headers=headers)  # fmt: skip
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "conflict"
    bad = outcome_client.post("/v1/outcomes", headers=WRITE,
                              json={**body, "status": "rejected"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "reason"
    unknown = outcome_client.post("/v1/outcomes", headers=WRITE,
                                  json={**body, "measure_id": "magic_box"})  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "measure_id"
    # Admins read them back, filtered and paginated; writers may not.
    assert outcome_client.get("/v1/outcomes", headers=WRITE).status_code == 403
    for i in range(3):
        other = {**example_profile, "factory_id": f"plant-{i}"}
        r = outcome_client.post("/v1/outcomes", headers=WRITE, json=_report(other, 1e4 * (i + 1)))
        assert r.status_code == 201
    page = outcome_client.get(
        "/v1/outcomes", headers=ADMIN, params={"measure_id": MEASURE, "limit": 2}
    ).json()
    assert page["total"] == 4
    assert len(page["items"]) == 2
    assert page["next_offset"] == 2
    last = outcome_client.get(
        "/v1/outcomes", headers=ADMIN, params={"limit": 2, "offset": 2}
    ).json()
    assert last["next_offset"] is None
    one = outcome_client.get("/v1/outcomes", headers=ADMIN, params={"factory_id": "plant-1"})
    assert [i["factory_id"] for i in one.json()["items"]] == ["plant-1"]
    wrong = outcome_client.get("/v1/outcomes", headers=ADMIN, params={"status": "done"})
    assert wrong.status_code == 422
    item = wrong.json()["detail"][0]
    assert item["field"].endswith("status")
    assert all(s in item["allowed"] for s in ("planned", "implemented", "rejected"))


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"actual_capex": True}, "actual_capex", "a number"),
        ({"period_start": 0}, "period_start", "a date, YYYY-MM-DD"),
        ({"verification": {"carriers": [{
            "carrier": "electricity", "form": "production", "cv_rmse": 0.1, "nmbe": 0.0,
            "r2": 0.9, "n_baseline": 12, "fractional_uncertainty": False, "confidence": 0.9,
            "verdict": "verified"}]}}, "verification.carriers.0.fractional_uncertainty",
         "a number"),
    ],
)  # fmt: skip
def test_true_false_or_a_number_for_a_date_is_refused_naming_the_field(
    example_profile: dict[str, Any], changes: dict[str, Any], field: str, allowed: str
) -> None:
    assert check_report(_report(example_profile, 1e5)).currency == "CNY"  # as given, accepted
    with pytest.raises(InvalidValueError) as err:
        check_report(_report(example_profile, 1e5, **changes))
    assert (err.value.field, err.value.allowed) == (field, allowed)


def test_the_schema_says_what_an_outcome_may_hold(outcome_client: TestClient) -> None:
    """The profile is described as the profile of /v1/recommendations, currencies and statuses
    are listed, and the Idempotency-Key pattern is the one the store checks."""
    api = outcome_client.get("/openapi.json").json()
    report = api["components"]["schemas"]["OutcomeReport"]["properties"]
    assert report["profile"]["$ref"] == "#/components/schemas/FactoryProfile"
    assert report["currency"]["anyOf"][0]["enum"] == list(CURRENCIES)
    post = api["paths"]["/v1/outcomes"]["post"]["parameters"]
    key = next(p for p in post if p["name"] == "idempotency-key")
    assert key["schema"]["pattern"] == f"^{_KEY.pattern}$"
    query = api["paths"]["/v1/outcomes"]["get"]["parameters"]
    status = next(p for p in query if p["name"] == "status")
    assert status["schema"]["anyOf"][0]["enum"] == list(STATUSES)


def _predicted_kwh(bundle: RecommendationBundle, profiles: list[dict[str, Any]]) -> np.ndarray:
    options = RecommendOptions(top_k=60, explain="none", min_evidence=0)
    results = bundle.recommend([parse_profile(p) for p in profiles], options)
    out = []
    for result in results:
        found = [r for r in result.recommendations if r.measure_id == MEASURE]
        assert found, f"{MEASURE} not recommended for {result.factory_id}"
        out.append(found[0].energy_saved[Carrier.ELECTRICITY])
    return np.array(out)


def test_reported_outcomes_move_the_next_model_toward_them(
    outcome_client: TestClient,
    store_url: str,
    tiny_bundle: RecommendationBundle,
    tiny_data: Dataset,
    example_profile: dict[str, Any],
) -> None:
    profiles = [
        {**example_profile, "factory_id": f"reporting-{i}",
         "electricity_kwh": example_profile["electricity_kwh"] * (0.5 + i / 20)}
        for i in range(30)
    ]  # fmt: skip
    before = _predicted_kwh(tiny_bundle, profiles)
    # Every factory metered three times what the model predicted for it.
    for profile, kwh in zip(profiles, before, strict=True):
        r = outcome_client.post("/v1/outcomes", headers=WRITE, json=_report(profile, 3 * kwh))
        assert r.status_code == 201, r.text
    config = TrainConfig(
        source="synthetic", n_factories=600, seed=11, outcomes_url=store_url, outcomes_weight=5
    )
    data = load_configured(config)
    assert data.report.rows_used["outcomes"] == len(tiny_data.outcomes) + 30 * 5
    assert set(data.outcomes["provenance"]) == {"synthetic", "outcomes"}
    assert "30 reported outcomes x weight 5" in data.report.summary()
    bundle = RecommendationBundle(tiny_bundle.config).fit(data.factories, data.outcomes)
    after = _predicted_kwh(bundle, profiles)
    reported = 3 * before
    # Closer to what was measured, for most factories and in the median.
    closer = np.abs(np.log(after / reported)) < np.abs(np.log(before / reported))
    assert closer.mean() >= 0.8
    assert np.median(after / before) > 1.3
    # The same data without the reported outcomes leaves the prediction where it was.
    plain = RecommendationBundle(tiny_bundle.config).fit(tiny_data.factories, tiny_data.outcomes)
    assert np.allclose(_predicted_kwh(plain, profiles), before)


def test_train_cli_reads_the_outcomes_store(
    tmp_path: Path, store_url: str, example_profile: dict[str, Any]
) -> None:
    store = OutcomeStore(store_url)
    for i in range(4):
        profile = {**example_profile, "factory_id": f"cli-{i}"}
        store.add(check_report(_report(profile, 2e5)))
    store.close()
    exe = shutil.which("decarb-train", path=str(Path(sys.executable).parent))
    assert exe is not None
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run(
        [exe, "--source", "synthetic", "--n-factories", "300", "--seed", "3",
         "--n-estimators", "20", "--outcomes-url", store_url, "--outcomes-weight", "3",
         "--tracking-uri", tracking],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    client = mlflow.MlflowClient(tracking_uri=tracking)
    run = client.search_runs(
        [client.get_experiment_by_name("decarb-recommender").experiment_id]  # type: ignore[union-attr]
    )[0]
    assert run.data.params["outcomes_weight"] == "3"
    assert run.data.params["outcomes_url"] == store_url
    report = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/data_report.txt")
    assert "source: synthetic+outcomes" in report
    assert "4 reported outcomes x weight 3 = 12 rows" in report


def test_an_unreachable_store_is_a_503_with_retry_after_and_no_data_in_the_log(
    model_store: str, example_profile: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    down = "postgresql+psycopg://decarb@127.0.0.1:1/outcomes?connect_timeout=2"
    settings = settings_for(model_store, database_url=down, write_key_hashes=[hash_key(WRITE_KEY)])
    body = _report({**example_profile, "factory_id": "secret-plant-4711"}, 1e5)
    with caplog.at_level("INFO"), TestClient(create_app(settings)) as client:
        r = client.post("/v1/outcomes", json=body, headers=WRITE)
        page = client.get("/v1/outcomes", headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "store_unavailable"
    assert int(r.headers["retry-after"]) >= 1
    assert page.status_code == 503
    logged = "\n".join(f"{rec.getMessage()} {vars(rec)}" for rec in caplog.records)
    assert "outcomes store unavailable" in logged
    assert "secret-plant-4711" not in logged


def test_a_recreated_database_recovers_without_a_restart_and_nul_is_refused(
    model_store: str, example_profile: dict[str, Any]
) -> None:
    with postgres_database() as url:
        settings = settings_for(model_store, database_url=url,
                                write_key_hashes=[hash_key(WRITE_KEY)])  # fmt: skip
        with TestClient(create_app(settings)) as client:
            first = client.post("/v1/outcomes", json=_report(example_profile, 1e5), headers=WRITE)
            assert first.status_code == 201, first.text
            # The database is emptied under the running service (as when it is recreated).
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True) as admin:  # fmt: skip
                admin.execute("DROP SCHEMA public CASCADE")
                admin.execute("CREATE SCHEMA public")
            body = _report(example_profile, 2e5)
            codes = []
            for _ in range(2):
                r = client.post("/v1/outcomes", json=body, headers=WRITE)
                codes.append(r.status_code)
                if r.status_code == 503:
                    assert r.headers["retry-after"]
            assert codes[-1] == 201, codes  # back without a restart
            # PostgreSQL text cannot hold NUL: refused as a 422 naming the field.
            bad = client.post(
                "/v1/outcomes", headers=WRITE, json=_report(example_profile, 1e5, reason="a\x00b")
            )
            assert bad.status_code == 422, bad.text
            assert bad.json()["detail"][0]["field"] == "reason"
            assert "NUL" in bad.json()["detail"][0]["allowed"]
