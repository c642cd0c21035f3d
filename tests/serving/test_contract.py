"""The service against its own OpenAPI: generated requests for every operation (fixed seed,
bounded), no server errors, every response as documented (status, content type, schema)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from serving.app import create_app
from serving.model_state import ModelHolder
from tests.serving.conftest import ADMIN_KEY, settings_for

#: Examples per operation; operations without inputs run once. 120 in the suite (about 900
#: requests); `make bench` runs 400 (well over 2,000) with DECARB_CONTRACT_EXAMPLES.
EXAMPLES_PER_OPERATION = int(os.environ.get("DECARB_CONTRACT_EXAMPLES", "120"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def test_every_operation_keeps_its_contract(model_store: str) -> None:
    config = settings_for(model_store, max_in_flight=10_000)
    holder = ModelHolder(config.model_uri, model_store)
    assert holder.load().ok
    app = create_app(config, holder=holder)
    app.state.holder = holder  # the ASGI transport does not run the lifespan
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            cases[case.operation.label] = cases.get(case.operation.label, 0) + 1
            case.call_and_validate(headers={"X-API-Key": ADMIN_KEY}, checks=CHECKS)

        run()
    print(f"contract cases: {sum(cases.values())} {cases}")
    # Every operation that takes input ran its examples (10 of them take input today).
    assert sum(cases.values()) >= 10 * EXAMPLES_PER_OPERATION, cases
    assert {
        "POST /v1/recommendations",
        "POST /v1/recommendations/batch",
        "POST /v1/footprint",
        "GET /v1/measures",
        "GET /v1/model",
        "POST /v1/admin/reload",
        "GET /healthz",
        "GET /readyz",
    } <= set(cases)
