"""The service predicts on compiled trees once they are built, with the same answers; it says
so in /v1/model, and keeps LightGBM predicting when they cannot be built."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.conftest import READ_KEY, settings_for

READ = {"X-API-Key": READ_KEY}


def _compiled_state(client: TestClient, until: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = client.get("/v1/model", headers=READ).json()["compiled_trees"]
        if state.startswith(until):
            return state
        time.sleep(0.2)
    raise AssertionError(f"compiled_trees never reached {until!r}: {state!r}")


def test_answers_on_compiled_trees_equal_lightgbm_answers(
    model_store: str, example_profile: dict[str, Any], tmp_path: Path
) -> None:
    body = {"profile": example_profile, "options": {"top_k": 8, "explain": "top"}}
    with TestClient(create_app(settings_for(model_store, compiled_trees=False))) as plain:
        assert plain.get("/v1/model", headers=READ).json()["compiled_trees"] == "off"
        expected = plain.post("/v1/recommendations", json=body, headers=READ).json()["result"]
    settings = settings_for(model_store, compiled_cache=str(tmp_path / "cache"))
    with TestClient(create_app(settings)) as client:
        state = _compiled_state(client, "ready")
        assert "7 boosters" in state
        assert "7 built" in state
        answer = client.post("/v1/recommendations", json=body, headers=READ).json()["result"]
    assert answer == expected
    assert list((tmp_path / "cache").glob("*.so"))
    # A second service start finds every library built.
    with TestClient(create_app(settings)) as again:
        assert "(0 built" in _compiled_state(again, "ready")


def test_a_failed_build_leaves_lightgbm_predicting_and_says_why(
    model_store: str, example_profile: dict[str, Any], tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    settings = settings_for(model_store, compiled_cache=str(blocked))
    with TestClient(create_app(settings)) as client:
        state = _compiled_state(client, "failed")
        assert "LightGBM predicts" in state
        body = {"profile": example_profile, "options": {"top_k": 3}}
        response = client.post("/v1/recommendations", json=body, headers=READ)
        assert response.status_code == 200
