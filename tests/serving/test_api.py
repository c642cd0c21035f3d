"""Every endpoint, auth, error cases, batch behaviour and reload, through the ASGI app."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

import mlflow
import pytest
from fastapi.testclient import TestClient

from features.accounting.footprint import compute_footprint
from features.catalogue.measures import Catalogue
from features.profile import parse_profile
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME
from serving.app import create_app
from serving.model_state import ModelHolder
from tests.serving.conftest import ADMIN_KEY, READ_KEY, register, settings_for

READ = {"X-API-Key": READ_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}


def assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "request_id"}
    assert body["error"] == error
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive", "model_version": None}
    assert client.get("/readyz").json() == {"status": "ready", "model_version": "1"}
    text = client.get("/metrics", headers=READ).text  # /metrics needs a key unless opened
    assert "decarb_model_version 1.0" in text
    assert 'decarb_requests_total{method="GET",route="/readyz",status="200"}' in text
    assert "decarb_request_seconds_bucket" in text


def test_single_recommendation(client: TestClient, example_profile: dict[str, Any]) -> None:
    body = {"profile": example_profile, "options": {"top_k": 4, "explain": "full"}}
    response = client.post("/v1/recommendations", json=body, headers=READ)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["request_id"] == response.headers["x-request-id"]
    assert data["model"]["version"] == "1"
    assert data["model"]["run_id"]
    result = data["result"]
    assert len(result["recommendations"]) == 4
    expected = compute_footprint(parse_profile(example_profile))
    assert result["footprint"]["total_location_tco2e"] == pytest.approx(
        expected.total_location_tco2e
    )
    for rec in result["recommendations"]:
        e = rec["explanation"]
        total = e["savings_base_value"] + sum(c["contribution"] for c in e["savings"])
        assert total == pytest.approx(e["savings_prediction"], abs=1e-6)
        assert {"field", "value", "unit", "contribution"} <= set(e["savings"][0])
    assert result["pathway"]["baseline_tco2e"] == pytest.approx(expected.net_market_tco2e)
    assert {m["measure_id"] for m in result["market_instruments"]} == {
        "green_electricity_purchase",
        "green_certificates",
    }


def test_auth_roles(client: TestClient, example_profile: dict[str, Any]) -> None:
    body = {"profile": example_profile}
    assert_error(client.post("/v1/recommendations", json=body), 401, "unauthorized")
    wrong = {"X-API-Key": "nope"}
    assert_error(client.post("/v1/recommendations", json=body, headers=wrong), 401, "unauthorized")
    assert client.post("/v1/recommendations", json=body, headers=ADMIN).status_code == 200
    assert_error(client.post("/v1/admin/reload", headers=READ), 403, "forbidden")
    assert client.post("/v1/admin/reload", headers=ADMIN).json()["ok"] is True


def test_auth_can_be_switched_off_explicitly(model_store: str) -> None:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as c:
        assert c.get("/v1/measures").status_code == 200
    with pytest.raises(ValueError, match="DECARB_AUTH_ENABLED=false"):
        settings_for(model_store, read_key_hashes=[], admin_key_hashes=[])


BAD_PROFILES = [
    ({"electricity_kwh": -5}, "profile.electricity_kwh", ">= 0"),
    ({"sector": "toys"}, "profile.sector", "steel"),
    ({"region": "Atlantis"}, "profile.region", "Zhejiang"),
    ({"colour": "red"}, "profile.colour", "electricity_kwh"),
    ({"country": "FR"}, "profile.country", "CN, US"),
    ({"energy_use": [{"carrier": "coal", "value": 1, "unit": "Nm3"}]},
     "profile.energy_use[0].unit", "tce"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "allowed"), BAD_PROFILES)
def test_invalid_profiles_are_422_naming_field_and_allowed(
    client: TestClient, example_profile: dict[str, Any], change: dict[str, Any], field: str,
    allowed: str,
) -> None:  # fmt: skip
    profile = {**copy.deepcopy(example_profile), **change}
    body = assert_error(
        client.post("/v1/recommendations", json={"profile": profile}, headers=READ),
        422,
        "invalid_request",
    )
    item = body["detail"][0]
    assert item["field"] == field
    assert allowed in item["allowed"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"profile": {',  # malformed JSON
        '{"profile": {"factory_id": "x", "country": "CN", "region": "Hebei", '
        '"sector": "steel", "reporting_year": 2023, "electricity_kwh": NaN}}',
        '{"profile": {"factory_id": "x", "country": "CN", "region": "Hebei", '
        '"sector": "steel", "reporting_year": 2023, "coal_gj": Infinity}}',
        '{"profile": {"factory_id": "x", "country": "CN", "region": "Hebei", '
        '"sector": "steel", "reporting_year": 2023}, "options": {"top_k": 0}}',
        '{"profile": {"factory_id": "x", "country": "CN", "region": "Hebei", '
        '"sector": "steel", "reporting_year": 2023}, "extra": 1}',
    ],
)
def test_malformed_and_non_finite_input_is_rejected(client: TestClient, raw: str) -> None:
    response = client.post(
        "/v1/recommendations", content=raw,
        headers={**READ, "Content-Type": "application/json"},
    )  # fmt: skip
    body = assert_error(response, 422, "invalid_request")
    assert body["detail"][0]["field"]


def test_batch_partial_failure_and_same_answer_as_single(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    second = {**example_profile, "factory_id": "second", "region": "Yunnan"}
    bad = {**example_profile, "factory_id": "bad", "sector": "toys"}
    options = {"top_k": 3}
    response = client.post(
        "/v1/recommendations/batch",
        json={"factories": [example_profile, bad, second], "options": options},
        headers=READ,
    )
    assert response.status_code == 200, response.text
    items = response.json()["results"]
    first_id = example_profile["factory_id"]
    expected = [(0, first_id, True), (1, "bad", False), (2, "second", True)]
    assert [(i["index"], i["factory_id"], i["ok"]) for i in items] == expected
    assert items[1]["error"][0]["field"] == "sector"
    single = client.post(
        "/v1/recommendations", json={"profile": second, "options": options}, headers=READ
    ).json()["result"]
    assert items[2]["result"] == single


def test_batch_size_limit_is_413(client: TestClient, example_profile: dict[str, Any]) -> None:
    body = {"factories": [example_profile] * 6}
    assert_error(
        client.post("/v1/recommendations/batch", json=body, headers=READ), 413, "batch_too_large"
    )


def test_footprint_measures_and_model(client: TestClient, example_profile: dict[str, Any]) -> None:
    fp = client.post("/v1/footprint", json={"profile": example_profile}, headers=READ).json()
    expected = compute_footprint(parse_profile(example_profile))
    assert fp["footprint"]["scope1_tco2e"] == pytest.approx(expected.scope1_tco2e)
    measures = client.get("/v1/measures", headers=READ).json()
    assert len(measures["measures"]) == len(Catalogue.default())
    model = client.get("/v1/model", headers=READ).json()
    assert model["model"]["version"] == "1"
    assert model["currency"] == "CNY"
    assert model["training_outcomes"] > 0
    card = model["card"]
    assert card["trained_on"]["factories"] > 0
    assert card["trained_on"]["outcomes"] == model["training_outcomes"]
    assert card["caveats"]  # the test model's data origin was not recorded: it says so
    assert model["model"]["trained_on"] == card["summary"]


def test_503_without_a_model(model_store: str, example_profile: dict[str, Any]) -> None:
    holder = ModelHolder("models:/no-such-model@champion", model_store)
    app = create_app(settings_for(model_store), holder=holder)
    with TestClient(app) as c:
        body = assert_error(c.get("/readyz"), 503, "model_not_loaded")
        assert "no-such-model" in body["detail"]
        assert_error(
            c.post("/v1/recommendations", json={"profile": example_profile}, headers=READ),
            503,
            "model_not_loaded",
        )
        assert c.get("/healthz").status_code == 200


def test_unexpected_errors_are_500_without_traceback(
    model_store: str, example_profile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings_for(model_store))
    with TestClient(app, raise_server_exceptions=False) as client:
        holder = app.state.holder

        def boom(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("secret internals")

        monkeypatch.setattr(holder.current.bundle, "recommend", boom)
        response = client.post(
            "/v1/recommendations", json={"profile": example_profile}, headers=READ
        )
        body = assert_error(response, 500, "internal_error")
        assert "secret" not in str(body)


def test_reload_swaps_without_failing_requests_in_flight(
    model_store: str, tiny_bundle: Any, tiny_data: Any, tmp_path: Path,
    example_profile: dict[str, Any],
) -> None:  # fmt: skip
    with TestClient(create_app(settings_for(model_store))) as c:
        statuses: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                r = c.post("/v1/recommendations",
                           json={"profile": example_profile, "options": {"explain": "none"}},
                           headers=READ)  # fmt: skip
                statuses.append(r.status_code)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        new_version = register(model_store, tiny_bundle, tiny_data.factories, tmp_path)
        reload = c.post("/v1/admin/reload", headers=ADMIN).json()
        stop.set()
        for t in threads:
            t.join()
        assert reload["ok"] is True
        assert reload["version"] == new_version
        assert statuses
        assert set(statuses) == {200}
        assert c.get("/readyz").json()["model_version"] == new_version

        # A failing reload keeps the current model serving and says why.
        c.app.state.holder.uri = "models:/decarb-recommender@missing"  # type: ignore[attr-defined]
        failed = c.post("/v1/admin/reload", headers=ADMIN).json()
        assert failed["ok"] is False
        assert f"kept version {new_version}" in failed["message"]
        assert "models:/decarb-recommender@missing" in failed["message"]  # names what failed
        assert c.get("/readyz").json()["model_version"] == new_version
        model = c.get("/v1/model", headers=READ).json()
        assert model["last_reload_error"]


def test_polling_swaps_in_a_new_champion(
    model_store: str, tiny_bundle: Any, tiny_data: Any, tmp_path: Path
) -> None:
    settings = settings_for(model_store, reload_poll_seconds=0.2)
    with TestClient(create_app(settings)) as c:
        before = c.get("/readyz").json()["model_version"]
        new_version = register(model_store, tiny_bundle, tiny_data.factories, tmp_path)
        assert new_version != before
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if c.get("/readyz").json()["model_version"] == new_version:
                break
            time.sleep(0.2)
        assert c.get("/readyz").json()["model_version"] == new_version


def test_heavy_industry_request_returns_process_emissions_and_engineering_estimates(
    client: TestClient, repo_root: Path
) -> None:
    profile = json.loads((repo_root / "features/data/example_cement_plant.json").read_text())
    body = {"profile": profile, "options": {"top_k": 60, "explain": "top"}}
    response = client.post("/v1/recommendations", json=body, headers=READ)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    fp = result["footprint"]
    assert fp["process_tco2e"] == pytest.approx(0.52 * 0.70 * 2.2e6)  # IPCC Eq. 2.1 x clinker
    assert fp["process"][0]["line_id"] == "calcination_co2"
    assert result["pathway"]["baseline_tco2e"] == pytest.approx(fp["net_market_tco2e"])
    packs = [r for r in result["recommendations"] if r["basis"] == "engineering"]
    assert {r["measure_id"] for r in packs} >= {"clinker_substitution", "cement_ccus"}
    for r in packs:
        assert r["adoption_probability"] is None
        assert r["explanation"] is None
        assert "no outcome data" in r["basis_note"]


def test_bad_production_line_is_422_naming_the_field(client: TestClient, repo_root: Path) -> None:
    profile = json.loads((repo_root / "features/data/example_cement_plant.json").read_text())
    profile["production"][0]["route"] = "wet_kiln"
    body = assert_error(
        client.post("/v1/recommendations", json={"profile": profile}, headers=READ),
        422,
        "invalid_request",
    )
    item = body["detail"][0]
    assert item["field"] == "profile.production[0].route"
    assert "dry_kiln" in item["allowed"]


def test_out_of_range_inputs_are_warned_about_and_counted(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    profile = {**copy.deepcopy(example_profile), "employees": 250_000}
    response = client.post("/v1/recommendations", json={"profile": profile}, headers=READ)
    assert response.status_code == 200, response.text
    data = response.json()
    warnings = data["result"]["input_warnings"]
    assert {"code", "field", "value", "training_range", "message"} <= set(warnings[0])
    assert any(w["field"] == "employees" for w in warnings)
    assert data["model"]["trained_on"]
    text = client.get("/metrics", headers=READ).text  # /metrics needs a key unless opened
    assert (
        'decarb_input_warnings_total{code="outside_training_range",field="employees"} 1.0' in text
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"energy_use": [{"carrier": "coal", "value": 1e308, "unit": "tce"}]},
         "profile.energy_use[0].value"),
        ({"coal_gj": 1e300}, "profile.coal_gj"),
        ({"electricity_kwh": 1e30}, "profile.electricity_kwh"),
        ({"electricity_kwh": 2e11}, "profile.electricity_kwh"),  # over the one-site limit
        ({"energy_use": [{"carrier": "electricity", "value": 2e7, "unit": "万kWh"}]},
         "profile.energy_use[0].value"),
    ],
)  # fmt: skip
def test_absurd_energy_is_a_422_not_a_500(
    client: TestClient, example_profile: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    profile = {**copy.deepcopy(example_profile), **change}
    body = assert_error(
        client.post("/v1/recommendations", json={"profile": profile}, headers=READ),
        422,
        "invalid_request",
    )
    assert body["detail"][0]["field"] == field


def test_absurd_energy_in_a_batch_fails_only_its_item(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    bad = {**copy.deepcopy(example_profile), "factory_id": "bad",
           "energy_use": [{"carrier": "coal", "value": 1e308, "unit": "tce"}]}  # fmt: skip
    response = client.post(
        "/v1/recommendations/batch", json={"factories": [example_profile, bad]}, headers=READ
    )
    assert response.status_code == 200, response.text
    items = response.json()["results"]
    assert [i["ok"] for i in items] == [True, False]


def test_a_lone_surrogate_and_a_huge_value_get_a_short_valid_422(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    raw = json.dumps({"profile": {**example_profile, "sector": "x"}}).replace(
        '"sector": "x"', '"sector": "\\ud800' + "y" * 5000 + '"'
    )
    response = client.post(
        "/v1/recommendations", content=raw,
        headers={**READ, "content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    body = response.json()
    assert len(response.content) < 3000
    assert "5,001 characters" in body["detail"][0]["value"]


def test_options_are_strictly_typed(client: TestClient, example_profile: dict[str, Any]) -> None:
    body = {"profile": example_profile, "options": {"discount_rate": False}}
    detail = assert_error(
        client.post("/v1/recommendations", json=body, headers=READ), 422, "invalid_request"
    )["detail"]
    assert detail[0]["field"] == "options.discount_rate"
    # JSON's 3.0 is the schema's integer 3; 3.5 and "3" are not integers
    whole = {"profile": example_profile, "options": {"top_k": 3.0, "explain": "none"}}
    answer = client.post("/v1/recommendations", json=whole, headers=READ)
    assert answer.status_code == 200
    assert len(answer.json()["result"]["recommendations"]) == 3
    for top_k in (3.5, "3", True):
        body = {"profile": example_profile, "options": {"top_k": top_k}}
        detail = assert_error(
            client.post("/v1/recommendations", json=body, headers=READ), 422, "invalid_request"
        )["detail"]
        assert detail[0]["field"] == "options.top_k"
    body = {"profile": example_profile, "options": {"currency": ""}}
    detail = assert_error(
        client.post("/v1/recommendations", json=body, headers=READ), 422, "invalid_request"
    )["detail"]
    assert detail[0]["field"] == "options.currency"
    assert "CNY" in detail[0]["allowed"]


def test_every_answer_names_the_version_that_computed_it_while_the_alias_flips(
    model_store: str, tiny_bundle: Any, tiny_data: Any, tmp_path: Path,
    example_profile: dict[str, Any],
) -> None:  # fmt: skip
    """16 clients while the champion alias moves and the service reloads every 0.1 s: no
    failed response, and each answer's version is the registry version of the run it names."""
    versions = [register(model_store, tiny_bundle, tiny_data.factories, tmp_path)
                for _ in range(2)]  # fmt: skip
    registry = mlflow.MlflowClient(tracking_uri=model_store)
    run_of = {v: registry.get_model_version(MODEL_NAME, v).run_id for v in versions}
    with TestClient(create_app(settings_for(model_store))) as c:
        seen: list[tuple[int, str | None, str | None]] = []
        stop = threading.Event()

        def client() -> None:
            body = {"profile": example_profile, "options": {"explain": "none", "top_k": 1}}
            while not stop.is_set():
                r = c.post("/v1/recommendations", json=body, headers=READ)
                model = r.json().get("model", {}) if r.status_code == 200 else {}
                seen.append((r.status_code, model.get("version"), model.get("run_id")))

        threads = [threading.Thread(target=client) for _ in range(16)]
        for t in threads:
            t.start()
        for flip in range(20):
            registry.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, versions[flip % 2])
            assert c.post("/v1/admin/reload", headers=ADMIN).json()["ok"] is True
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        assert len(seen) > 50
        assert {status for status, _, _ in seen} == {200}
        for version in {v for _, v, _ in seen if v not in run_of}:
            assert version is not None
            run_of[version] = registry.get_model_version(MODEL_NAME, version).run_id
        for _, version, run_id in seen:
            assert run_id == run_of[str(version)], version
        assert {v for _, v, _ in seen} >= set(versions)  # both served during the flips
        # After the flips the service serves what the alias names.
        assert c.get("/readyz").json()["model_version"] == versions[1]
        assert run_of[versions[0]] != run_of[versions[1]]
