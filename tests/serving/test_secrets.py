"""Store passwords never leave the service: not in start-up lines, log lines, error bodies,
/v1/model or admin answers; and /v1/model does not say where training ran."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from fastapi.testclient import TestClient

from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME
from models.redact import redact
from serving.app import create_app
from serving.logs import JsonFormatter
from serving.settings import hash_key
from tests.postgres import postgres_database
from tests.serving.conftest import ADMIN_KEY, READ_KEY, register, settings_for
from tests.serving.live import live_server

PASSWORD = "Pw-s3cret-42"
ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+psycopg://app:s3cret@db:5432/mlflow",
         "postgresql+psycopg://app:***@db:5432/mlflow"),
        ("API request to http://app:s3cret@mlflow:5000/api/2.0 failed",
         "API request to http://app:***@mlflow:5000/api/2.0 failed"),
        ("host=db user=app password=s3cret dbname=x", "host=db user=app password=*** dbname=x"),
        ("sqlite:///mlflow.db and http://mlflow:5000", "sqlite:///mlflow.db and http://mlflow:5000"),
    ],
)  # fmt: skip
def test_redact_masks_every_password_and_keeps_the_rest(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_redact_masks_a_known_password_quoted_on_its_own() -> None:
    uri = "http://app:p%40ss-word@mlflow:5000"  # "p@ss-word", percent-encoded in the URI
    assert redact("login failed with p@ss-word and p%40ss-word", uri) == (
        "login failed with *** and ***"
    )


def _leaks(text: str) -> list[str]:
    return [line for line in text.splitlines() if PASSWORD in line]


def test_an_unreachable_store_with_a_password_leaks_it_nowhere(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # MLflow's own error quotes the request URL, credentials included; fail fast, no retries.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    store = f"http://decarb:{PASSWORD}@127.0.0.1:1"
    settings = settings_for(store, compiled_trees=False)
    with caplog.at_level(logging.INFO), TestClient(create_app(settings)) as client:
        reload = client.post("/v1/admin/reload", headers=ADMIN)
        model = client.get("/v1/model", headers=ADMIN)
        ready = client.get("/readyz")
    assert reload.status_code == 200
    answer = reload.json()
    assert answer["ok"] is False
    assert "http://decarb:***@127.0.0.1:1" in answer["message"]  # the store is named, masked
    assert model.status_code == 503
    assert ready.status_code == 503
    records = [r for r in caplog.records if r.name.startswith("decarb")]
    assert any(r.getMessage() == "model load failed" for r in records)
    logged = "\n".join(json.dumps(vars(r), default=str) for r in records)
    formatted = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for output in (reload.text, model.text, ready.text, logged, formatted):
        assert _leaks(output) == []


def test_the_log_formatter_masks_passwords_whichever_library_logs_them() -> None:
    store = f"postgresql://decarb:{PASSWORD}@db/mlflow"
    record = logging.LogRecord("sqlalchemy.engine", logging.ERROR, __file__, 1,
                               "cannot connect to %s", (store,), None)  # fmt: skip
    record.detail = {"dsn": f"password={PASSWORD}"}
    record.quoted = f"the server said: bad password {PASSWORD}"
    line = JsonFormatter([store]).format(record)
    assert PASSWORD not in line
    assert "postgresql://decarb:***@db/mlflow" in json.loads(line)["message"]


def test_a_live_service_on_a_store_with_a_password_shows_it_nowhere(
    tmp_path: Path, tiny_bundle: Any, tiny_data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECARB_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    previous = mlflow.get_tracking_uri()
    with postgres_database() as url:
        # Trust authentication on the test server: the password is carried, not checked.
        store = url.replace("://postgres@", f"://postgres:{PASSWORD}@", 1)
        assert PASSWORD in store
        register(store, tiny_bundle, tiny_data.factories, tmp_path)
        client = mlflow.MlflowClient(tracking_uri=store)
        run_id = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS).run_id
        # Where training ran, as decarb-train records it.
        client.set_tag(run_id, "host", socket.gethostname())
        client.set_tag(run_id, "pid", "424242")
        env = {"DECARB_ADMIN_KEY_HASHES": json.dumps([hash_key(ADMIN_KEY)]),
               "DECARB_COMPILED_TREES": "false",
               "DECARB_DATABASE_URL": f"sqlite:///{tmp_path / 'outcomes.db'}"}  # fmt: skip
        with live_server(store, tmp_path, **env) as base:
            model = httpx.get(f"{base}/v1/model", headers={"X-API-Key": READ_KEY}, timeout=30)
            client.delete_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS)
            reload = httpx.post(f"{base}/v1/admin/reload", headers=ADMIN, timeout=60)
            after = httpx.get(f"{base}/v1/model", headers={"X-API-Key": READ_KEY}, timeout=30)
        logs = "\n".join(p.read_text() for p in tmp_path.glob("server-*.log"))
        mlflow.set_tracking_uri(previous)
    assert model.status_code == 200, model.text
    info = model.json()
    assert info["model"]["version"] == "1"
    assert "host" not in info["tags"]
    assert "pid" not in info["tags"]
    assert socket.gethostname() not in model.text
    assert "424242" not in model.text
    assert reload.json()["ok"] is False
    assert "postgres:***@" in reload.json()["message"]
    assert after.json()["last_reload_error"]  # the failure is shown, masked
    assert "postgres:***@" in logs  # the start-up line names the store, masked
    assert "model load failed" in logs
    for output in (model.text, reload.text, after.text, logs):
        assert _leaks(output) == []
