"""Limits before work (key before body, body size, rate, requests in flight), request ids,
CORS, the OpenAPI contract and what /readyz may say."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app, response_examples
from serving.auth import SESSION_COOKIE, session_token
from serving.logs import JsonFormatter
from serving.model_state import ModelHolder
from serving.pages import routes
from serving.pages.pdf import render_pdf
from serving.schemas import (
    BatchResponse,
    FootprintResponse,
    Health,
    LoadedModelResponse,
    MeasuresResponse,
    RecommendationResponse,
    ReloadResponse,
)
from serving.verify import VerificationResponse
from tests.serving.conftest import ADMIN_KEY, READ_KEY, settings_for

READ = {"X-API-Key": READ_KEY}


def _client(store: str, **overrides: Any) -> TestClient:
    return TestClient(create_app(settings_for(store, **overrides)))


def test_the_key_is_checked_before_the_body_is_read(model_store: str) -> None:
    seen: list[int] = []

    with _client(model_store, max_body_bytes=10_000) as client:
        app = client.app

        def body() -> Iterator[bytes]:
            for _ in range(50):
                seen.append(1)
                yield b"x" * 1_000

        r = client.post("/v1/recommendations", content=body(),
                        headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"
        assert r.headers["www-authenticate"] == "APIKey"
        assert app is client.app
    # The body (50 kB of garbage over a 10 kB limit) was never read: no chunk was pulled.
    assert seen == []


def test_a_body_over_the_limit_is_refused_before_parsing(model_store: str) -> None:
    with _client(model_store, max_body_bytes=10_000) as client:
        big = b'{"profile": "' + b"x" * 20_000 + b'"}'
        r = client.post("/v1/recommendations", content=big,
                        headers={**READ, "Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        body = r.json()
        assert body["error"] == "body_too_large"
        assert "DECARB_MAX_BODY_BYTES" in body["detail"]
        assert len(r.content) < 500  # nothing of the body is echoed

        # Without a Content-Length (chunked), the limit holds while reading.
        def chunks() -> Iterator[bytes]:
            yield big[:8_000]
            yield big[8_000:]

        r = client.post("/v1/recommendations", content=chunks(),
                        headers={**READ, "Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        assert r.json()["error"] == "body_too_large"


def test_the_batch_item_count_is_exact_at_the_limit(
    model_store: str, example_profile: dict[str, Any]
) -> None:
    item = json.dumps(example_profile).encode()

    def chunks() -> Iterator[bytes]:
        yield b'{"options": {"top_k": 3, "lang": "zh"}, "factories": ['
        for i in range(200):
            yield (b", " if i else b"") + item
        yield b"]}"

    with _client(model_store, batch_max_factories=5) as client:
        r = client.post("/v1/recommendations/batch", content=chunks(),
                        headers={**READ, "Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        body = r.json()
        assert body["error"] == "batch_too_large"
        assert "at most 5" in body["detail"]
        assert "DECARB_BATCH_MAX_FACTORIES" in body["detail"]
        # (test_http_server checks over a socket that the rest of the body is never waited for)
        # Exactly at the limit it is served, and strings holding commas and brackets in the
        # items do not confuse the count.
        tricky = {**example_profile, "factory_id": 'a,b],"[{c\\'}
        r = client.post("/v1/recommendations/batch", headers=READ,
                        json={"factories": [tricky] * 5, "options": {"top_k": 1}})  # fmt: skip
        assert r.status_code == 200, r.text
        assert len(r.json()["results"]) == 5


def test_admitted_requests_score_at_most_scoring_threads_at_a_time(
    model_store: str, example_profile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(model_store, scoring_threads=1) as client:
        holder: ModelHolder = client.app.state.holder  # type: ignore[attr-defined]
        bundle = holder.current.bundle
        original = bundle.recommend
        inside = 0
        most = 0
        lock = threading.Lock()

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal inside, most
            with lock:
                inside += 1
                most = max(most, inside)
            try:
                return original(*args, **kwargs)
            finally:
                with lock:
                    inside -= 1

        monkeypatch.setattr(bundle, "recommend", counted)
        codes: list[int] = []

        def call() -> None:
            r = client.post("/v1/recommendations", json={"profile": example_profile},
                            headers=READ)  # fmt: skip
            codes.append(r.status_code)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 6
    assert most == 1


def test_a_key_over_its_rate_gets_429_with_retry_after(model_store: str) -> None:
    with _client(model_store, rate_limit_per_minute=3) as client:
        codes = [client.get("/v1/measures", headers=READ).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        r = client.get("/v1/measures", headers=READ)
        assert r.json()["error"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 20
        # Another key has its own budget; health checks have none.
        assert client.get("/v1/measures", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_requests_over_the_in_flight_cap_get_a_fast_503(
    model_store: str, example_profile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(model_store, max_in_flight=2) as client:
        holder: ModelHolder = client.app.state.holder  # type: ignore[attr-defined]
        bundle = holder.current.bundle
        original = bundle.recommend
        release = threading.Event()
        both_inside = threading.Semaphore(0)

        def slow(*args: Any, **kwargs: Any) -> Any:
            both_inside.release()
            release.wait(20)
            return original(*args, **kwargs)

        monkeypatch.setattr(bundle, "recommend", slow)
        results: list[int] = []

        def call() -> None:
            r = client.post("/v1/recommendations", json={"profile": example_profile},
                            headers=READ)  # fmt: skip
            results.append(r.status_code)

        busy = [threading.Thread(target=call) for _ in range(2)]
        for t in busy:
            t.start()
        for _ in busy:
            assert both_inside.acquire(timeout=20)
        r = client.post("/v1/recommendations", json={"profile": example_profile}, headers=READ)
        assert results == []  # refused while the two are still in flight, not queued behind them
        assert r.status_code == 503
        assert r.json()["error"] == "overloaded"
        assert r.headers["retry-after"] == "1"
        release.set()
        for t in busy:
            t.join(30)
        assert results == [200, 200]
        # Once they are done, requests are admitted again.
        ok = client.post("/v1/recommendations", json={"profile": example_profile}, headers=READ)
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123.x:y", True), ("x" * 65, False), ("bad id\u00e9", False), ("a;b", False)],
)
def test_request_ids_are_kept_only_when_short_and_plain(
    client: TestClient, given: str, kept: bool
) -> None:
    r = client.get("/healthz", headers={"X-Request-Id": given.encode("utf-8")})
    echoed = r.headers["x-request-id"]
    assert (echoed == given) is kept
    assert len(echoed) <= 64


def test_cors_preflight_for_configured_origins_only(model_store: str) -> None:
    preflight = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-api-key,content-type"}  # fmt: skip
    with _client(model_store, cors_origins=["https://portal.example"]) as client:
        r = client.options("/v1/recommendations", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        other = client.options("/v1/recommendations",
                               headers={**preflight, "Origin": "https://evil.example"})  # fmt: skip
        assert other.headers.get("access-control-allow-origin") is None
    with _client(model_store) as client:
        r = client.options("/v1/recommendations", headers=preflight)
        assert r.headers.get("access-control-allow-origin") is None


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    r = client.get("/v1/recommendations", headers=READ)
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
    assert r.headers["allow"] == "POST"


def test_openapi_declares_the_key_scheme_and_the_real_error_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key with the read or admin role.",
    }
    error_ref = "#/components/schemas/ErrorBody"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not path.startswith("/v1/"):
                continue
            assert op["security"] == [{"APIKeyHeader": []}], (path, method)
            responses = op["responses"]
            assert "401" in responses, (path, method)
            assert "429" in responses, (path, method)
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": error_ref}, (path, method, code)
            if "requestBody" in op:
                body = op["requestBody"]["content"]["application/json"]
                assert "example" in body, (path, method)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_readyz_gives_reasons_without_internals(model_store: str, tmp_path: Any) -> None:
    broken = f"sqlite:///{tmp_path / 'nowhere' / 'secret-path' / 'mlflow.db'}"
    with TestClient(create_app(settings_for(broken))) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["error"] == "model_not_loaded"
        assert "secret-path" not in r.text
        assert "SELECT" not in r.text
        assert "see the service log" in body["detail"]


def test_an_unreachable_store_does_not_keep_the_port_closed() -> None:
    # Nothing listens on port 9: MLflow retries for a long time before it gives up.
    config = settings_for("http://127.0.0.1:9", store_timeout_seconds=0.5)
    with TestClient(create_app(config)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert "still loading" in r.json()["detail"]
        assert client.get("/healthz").status_code == 200
        refused = client.post("/v1/footprint", json={}, headers=READ)
        assert refused.status_code == 422  # the service answers what needs no model


def test_every_endpoint_documents_a_recorded_response_that_still_validates(
    client: TestClient,
) -> None:
    """The examples come from a real service (scripts/build_api_examples.py); a schema change
    without rebuilding them fails here."""
    models = {
        "GET /healthz": Health, "GET /readyz": Health,
        "POST /v1/recommendations": RecommendationResponse,
        "POST /v1/recommendations/batch": BatchResponse,
        "POST /v1/footprint": FootprintResponse, "GET /v1/measures": MeasuresResponse,
        "GET /v1/model": LoadedModelResponse, "POST /v1/admin/reload": ReloadResponse,
        "POST /v1/verifications": VerificationResponse,
    }  # fmt: skip
    examples = response_examples()
    assert set(examples) == set(models)
    for operation, model in models.items():
        model.model_validate(examples[operation])
    spec = client.get("/openapi.json").json()
    for operation in models:
        method, path = operation.split(" ")
        ok = spec["paths"][path][method.lower()]["responses"]["200"]["content"]
        # FastAPI writes the OpenAPI without nulls, examples included.
        assert ok["application/json"]["example"] == _without_none(examples[operation]), operation
    answer = examples["POST /v1/recommendations"]["result"]
    assert answer["recommendations"][0]["direction_reason"]


def test_log_lines_keep_every_field_and_the_error_class() -> None:
    record = logging.LogRecord(
        "decarb.serving", logging.ERROR, __file__, 1, "model load failed", None, None
    )
    record.__dict__.update({"model_uri": "models:/x@champion", "error_class": "OSError"})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "model load failed"
    assert line["model_uri"] == "models:/x@champion"
    assert line["error_class"] == "OSError"
    assert line["level"] == "ERROR"
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "decarb.serving", logging.ERROR, __file__, 1, "unexpected error", None, sys.exc_info()
        )
    record.__dict__["request_id"] = "abc"
    line = json.loads(JsonFormatter().format(record))
    assert (line["request_id"], line["error_class"]) == ("abc", "ValueError")
    assert "boom" in line["traceback"]


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def test_pages_that_score_share_the_rate_limit(model_store: str) -> None:
    # The page's key is named by its session cookie (or, first, in the form body, not read
    # before the limit): a valid session is its key's bucket, anything else the client's address.
    with _client(model_store, rate_limit_per_minute=2) as client:
        settings = client.app.state.settings  # type: ignore[attr-defined]  # a FastAPI app
        client.cookies.set(SESSION_COOKIE, str(session_token(READ_KEY, settings)))
        codes = [client.post("/results", data={"lang": "en"}).status_code for _ in range(3)]
        assert codes[2] == 429, codes
        assert 429 not in codes[:2]
        refused = client.post("/report", data={"lang": "en"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        # The same key through the API has used up its budget too: one bucket per key.
        assert client.get("/v1/measures", headers=READ).status_code == 429
        # Made-up or forged sessions do not buy a fresh budget: they fall back to the
        # client's address.
        forged = str(session_token(ADMIN_KEY, settings))[:-4] + "AAAA"
        for cookie in ("made-up-0", "a.b.c", forged, READ_KEY):
            client.cookies.set(SESSION_COOKIE, cookie)
            last = client.post("/results", data={"lang": "en"}).status_code
        assert last == 429
        # Another key keeps its own budget.
        client.cookies.set(SESSION_COOKIE, str(session_token(ADMIN_KEY, settings)))
        assert client.post("/results", data={"lang": "en"}).status_code != 429


#: Where the slow renderer below, running in the service's renderer processes, leaves a file
#: per render in progress and waits for the test's word to go on (processes share no locks).
SLOW_RENDER_DIR = Path(tempfile.gettempdir()) / "decarb-test-slow-render"


def slow_render(*args: Any, **kwargs: Any) -> bytes:
    """The real renderer, held until the test releases it; each render in progress is a file
    named by its process and a counter."""
    mark = SLOW_RENDER_DIR / f"inside-{os.getpid()}-{time.monotonic_ns()}"
    mark.write_text(str(os.getpid()))
    deadline = time.monotonic() + 30
    while not (SLOW_RENDER_DIR / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        return render_pdf(*args, **kwargs)
    finally:
        mark.rename(SLOW_RENDER_DIR / f"done-{mark.name}")


def _inside() -> list[Path]:
    return sorted(SLOW_RENDER_DIR.glob("inside-*"))


def test_pdf_rendering_runs_off_the_event_loop_a_bounded_number_at_a_time(
    model_store: str, example_profile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(SLOW_RENDER_DIR, ignore_errors=True)
    SLOW_RENDER_DIR.mkdir()
    monkeypatch.setattr(routes, "render_pdf", slow_render)
    with _client(model_store, scoring_threads=2) as client:
        codes: list[int] = []

        def call() -> None:
            r = client.post("/v1/reports", json={"profile": example_profile}, headers=READ)
            codes.append(r.status_code)

        busy = [threading.Thread(target=call) for _ in range(4)]
        for t in busy:
            t.start()
        deadline = time.monotonic() + 90
        while len(_inside()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_inside()) == 2, "two renders should have started"
        # Two renders hold their slots and block: the loop still answers at once.
        health = client.get("/healthz")
        assert health.status_code == 200
        time.sleep(0.5)
        assert len(_inside()) == 2  # the other two wait for a slot, not beside them
        (SLOW_RENDER_DIR / "release").write_text("go")
        for t in busy:
            t.join(90)
    assert codes == [200] * 4
    pids = {int(p.read_text()) for p in SLOW_RENDER_DIR.glob("done-*")}
    assert len(list(SLOW_RENDER_DIR.glob("done-*"))) == 4
    assert os.getpid() not in pids  # rendered in the renderer processes, not the service's


def test_pages_carry_security_headers_and_refusals_are_logged_with_their_route(
    model_store: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="decarb"), _client(model_store) as client:
        page = client.get("/")
        api = client.get("/v1/measures", headers=READ)
        refused = client.post("/v1/recommendations", json={})
        stray = client.get("/no/such/path/42")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers  # JSON: no page policy needed
    assert refused.status_code == 401
    logged = {
        (r.__dict__.get("path"), r.__dict__.get("status"))
        for r in caplog.records
        if r.getMessage() == "request"
    }
    assert ("/v1/recommendations", 401) in logged, logged
    assert ("unmatched", 404) in logged  # stray paths share one label
    assert stray.status_code == 404
