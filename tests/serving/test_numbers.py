"""Numbers at the edge: every numeric field within a plausible range (integers of any length
included), refused as a 422 that names the field, the value and the range; JSON nested too deep
refused before it is parsed."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.body_meters import MAX_JSON_DEPTH, DepthMeter
from serving.settings import hash_key
from tests.serving.conftest import READ_KEY, settings_for

READ = {"X-API-Key": READ_KEY, "Content-Type": "application/json"}
WRITE_KEY = "numbers-write-key"
WRITE = {"X-API-Key": WRITE_KEY, "Content-Type": "application/json"}
HUGE = "1" + "0" * 400  # a 401-digit integer, as JSON text


def _with_raw(body: dict[str, Any], path: list[str | int], raw_number: str) -> str:
    """``body`` as JSON text with the value at ``path`` replaced by ``raw_number`` verbatim
    (json.dumps cannot write a number past the float range)."""
    marker = "__number_here__"
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = marker
    return json.dumps(body).replace(f'"{marker}"', raw_number)


def _detail(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert "Traceback" not in response.text
    item: dict[str, Any] = response.json()["detail"][0]
    return item


@pytest.fixture(scope="module")
def client(model_store: str) -> Iterator[TestClient]:
    """One service for the module (every request here is refused before scoring, or scores
    without changing anything), with a key that may also report outcomes."""
    settings = settings_for(model_store, write_key_hashes=[hash_key(WRITE_KEY)],
                            compiled_trees=False)  # fmt: skip
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "field",
    ["annual_revenue", "electricity_cost_per_year", "fuel_cost_per_year", "electricity_price",
     "reporting_year", "employees", "floor_area_m2", "electricity_kwh"],
)  # fmt: skip
@pytest.mark.parametrize("route", ["/v1/recommendations", "/v1/footprint"])
def test_an_integer_of_any_length_is_a_422_naming_the_field(
    client: TestClient, example_profile: dict[str, Any], field: str, route: str
) -> None:
    raw = _with_raw({"profile": copy.deepcopy(example_profile)}, ["profile", field], HUGE)
    item = _detail(client.post(route, content=raw, headers=READ))
    assert item["field"] == f"profile.{field}"
    assert item["value"].startswith("1000")
    assert "401 digits" in item["value"]
    assert re.search(r">= \S+ and <= \S+", item["allowed"]), item["allowed"]
    # The message keeps the range in sight (the value is cut short, not the message).
    assert item["allowed"] in item["message"]


def test_a_batch_with_one_absurd_factory_names_the_item_and_field(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    bad = {**copy.deepcopy(example_profile), "factory_id": "bad"}
    body = {"factories": [example_profile, bad, example_profile]}
    raw = _with_raw(body, ["factories", 1, "employees"], HUGE)
    response = client.post("/v1/recommendations/batch", content=raw, headers=READ)
    assert response.status_code == 200, response.text
    items = response.json()["results"]
    assert [(i["index"], i["ok"]) for i in items] == [(0, True), (1, False), (2, True)]
    assert items[1]["factory_id"] == "bad"
    assert items[1]["error"][0]["field"] == "employees"
    assert "1e+06 persons" in items[1]["error"][0]["allowed"]


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"annual_revenue": 1e308}, "profile.annual_revenue", "7.08e+12 CNY/yr"),
        ({"annual_revenue": "1e300 万元"}, "profile.annual_revenue", "7.08e+12 CNY/yr"),
        ({"revenue_currency": "USD", "fuel_cost_per_year": 1e308},
         "profile.fuel_cost_per_year", "1e+12 USD/yr"),
        ({"electricity_price": 1e308}, "profile.electricity_price", "70.8 CNY/kWh"),
        ({"fuel_prices": {"coal": 1e308}}, "profile.fuel_prices.coal", "7080 CNY/GJ"),
        ({"co2_captured_stored_t": 1e308}, "profile.co2_captured_stored_t", "1e+09 t/yr"),
        ({"offsets_tco2e": 1e308}, "profile.offsets_tco2e", "1e+09 tCO2e/yr"),
        ({"sector": "steel", "production": [
            {"product": "crude_steel", "route": "bf_bof", "output_t": 1e308}]},
         "profile.production[0].output_t", "1e+09 t/yr"),
        ({"roof_area_available_m2": 1e308}, "profile.roof_area_available_m2", "1e+08 m2"),
    ],
)  # fmt: skip
def test_1e308_in_money_price_production_and_removals_is_a_422_with_the_range(
    client: TestClient, example_profile: dict[str, Any], change: dict[str, Any], field: str,
    limit: str,
) -> None:  # fmt: skip
    profile = {**copy.deepcopy(example_profile), **change}
    for route in ("/v1/recommendations", "/v1/footprint"):
        item = _detail(client.post(route, json={"profile": profile}, headers=READ))
        assert item["field"] == field
        assert f"<= {limit}" in item["allowed"]


def test_the_largest_real_plants_are_within_the_bounds(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    # An integrated steelworks' order of magnitude: 2e10 kWh, 1.5e8 GJ of coal, 1e7 t of
    # steel, 3e5 employees, a revenue of 1e11 CNY; the bounds must not refuse it.
    steel = [{"product": "crude_steel", "route": "bf_bof", "output_t": 1e7}]
    big = {**copy.deepcopy(example_profile), "sector": "steel", "naics_code": None,
           "electricity_kwh": 2e10, "coal_gj": 1.5e8, "employees": 300_000,
           "annual_revenue": 1e11, "floor_area_m2": 5e6, "fuel_prices": {"coal": 40.0},
           "production": steel}  # fmt: skip
    big.pop("energy_use", None)
    big.pop("end_uses", None)
    response = client.post("/v1/footprint", json={"profile": big}, headers=READ)
    assert response.status_code == 200, response.text
    assert response.json()["footprint"]["scope1_tco2e"] > 1e7


def test_options_money_is_bounded(client: TestClient, example_profile: dict[str, Any]) -> None:
    body = {"profile": example_profile, "options": {"capex_budget": 1e308}}
    item = _detail(client.post("/v1/recommendations", json=body, headers=READ))
    assert item["field"] == "options.capex_budget"
    assert "<= 1.31e+15 in any currency" in item["allowed"]


def _outcome(factory: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "factory_id": factory["factory_id"], "measure_id": "compressed_air_leak_repair",
        "status": "implemented", "period_start": "2025-01-01", "period_end": "2025-12-31",
        "measured_savings": [{"carrier": "electricity", "value": 2e5, "unit": "kWh"}],
        "actual_capex": 80000, "profile": copy.deepcopy(factory),
    }  # fmt: skip
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"actual_capex": 1e308}, "actual_capex", "<= 7.08e+12 CNY/yr"),
        ({"measured_savings": [{"carrier": "electricity", "value": -1e308, "unit": "kWh"}]},
         "measured_savings[0].value", "at most 1e+11 kWh/yr either way"),
        ({"measured_savings": [{"carrier": "coal", "value": 1e300, "unit": "tce"}]},
         "measured_savings[0].value", "at most 1e+09 GJ/yr either way"),
    ],
)  # fmt: skip
def test_outcome_numbers_are_bounded(
    client: TestClient, example_profile: dict[str, Any], changes: dict[str, Any],
    field: str, allowed: str,
) -> None:  # fmt: skip
    response = client.post("/v1/outcomes", json=_outcome(example_profile, **changes), headers=WRITE)
    item = _detail(response)
    assert item["field"] == field
    assert allowed in item["allowed"]


def test_an_outcome_with_a_huge_integer_is_a_422_naming_the_field(
    client: TestClient, example_profile: dict[str, Any]
) -> None:
    raw = _with_raw(_outcome(example_profile), ["actual_capex"], HUGE)
    assert _detail(client.post("/v1/outcomes", content=raw, headers=WRITE))["field"] == (
        "actual_capex"
    )
    raw = _with_raw(_outcome(example_profile), ["profile", "employees"], HUGE)
    item = _detail(client.post("/v1/outcomes", content=raw, headers=WRITE))
    assert item["field"] == "profile.employees"


def _nested(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("levels", [500, 5000])
def test_json_nested_too_deep_is_a_422_naming_the_limit(
    client: TestClient, example_profile: dict[str, Any], levels: int
) -> None:
    outcome = json.dumps(_outcome(example_profile, profile="x")).replace(
        '"profile": "x"', '"profile": ' + _nested(levels)
    )
    bodies = [
        ("/v1/outcomes", outcome, WRITE),
        ("/v1/recommendations", '{"profile": ' + _nested(levels) + "}", READ),
        ("/v1/recommendations/batch", '{"factories": [' + _nested(levels) + "]}", READ),
    ]
    for path, raw, headers in bodies:
        item = _detail(client.post(path, content=raw, headers=headers))
        assert item["field"] == "body"
        assert f"at most {MAX_JSON_DEPTH} levels" in item["allowed"], path
    # The same body one level within the limit is parsed (and then refused for what it holds).
    within = '{"profile": ' + _nested(MAX_JSON_DEPTH - 1) + "}"
    item = _detail(client.post("/v1/recommendations", content=within, headers=READ))
    assert item["field"] != "body"


@pytest.mark.parametrize("levels", [500, 5000])
def test_an_uploaded_profile_nested_too_deep_is_refused_on_the_page(
    client: TestClient, levels: int
) -> None:
    deep = '{"factory_id": "x", "region": ' + _nested(levels) + "}"
    key = {"api_key": READ_KEY, "lang": "en"}
    upload = {"profile_file": ("p.json", deep.encode(), "application/json")}
    by_file = client.post("/results", data=key, files=upload)
    by_carried = client.post("/results", data={**key, "profile_json": deep})
    for response, name in ((by_file, "profile_file"), (by_carried, "profile_json")):
        assert response.status_code == 422
        errors = dict(re.findall(r'<(?:span|p) class="error" id="error-([^"]+)">([^<]*)<',
                                 response.text))  # fmt: skip
        shown = unescape(" ".join(errors.values()))
        assert f"at most {MAX_JSON_DEPTH} levels" in shown, (name, errors)


def test_the_depth_meter_skips_strings_and_survives_any_split() -> None:
    doc = {"a": ['x"[{' * 3, {"b": [[["\\", "]]]"]]]}], "c": "{{{\\\\", "d": [[[[[]]]]]}
    text = json.dumps(doc).encode()
    assert _reference_depth(doc) == 6
    rng = random.Random(3)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, 12)))
        meter = DepthMeter()
        for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
            meter.feed(text[start:end])
        assert (meter.deepest, meter.depth) == (6, 0), cuts


def _reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_reference_depth(v) for v in value), default=0)
    return 0
