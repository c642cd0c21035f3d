"""What an endpoint declares beside its route reaches the app: its recorded answer in the OpenAPI
document, its scoring flag in the guard's in-flight cap."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from serving.app import create_app
from serving.guard import Guard
from serving.routes.endpoint import DOCUMENTED, response_examples
from serving.settings import Settings

#: Every path whose POST scores a model (the API's and the pages').
SCORING = {"/v1/recommendations", "/v1/recommendations/batch", "/v1/footprint", "/v1/reports",
           "/v1/verifications", "/results", "/report", "/verify/results",
           "/verify/report"}  # fmt: skip


def _app(tmp_path: Path) -> FastAPI:
    settings = Settings(
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        database_url=f"sqlite:///{tmp_path / 'outcomes.db'}",
        auth_enabled=False,
    )
    return create_app(settings)


def test_every_documented_endpoint_shows_its_recorded_answer(tmp_path: Path) -> None:
    spec = _app(tmp_path).openapi()
    assert DOCUMENTED, "no endpoint declared a recorded answer"
    assert DOCUMENTED <= set(response_examples()), "run scripts/build_api_examples.py"
    for operation in DOCUMENTED:
        method, path = operation.split(" ")
        ok = spec["paths"][path][method.lower()]["responses"]["200"]
        assert "example" in ok["content"]["application/json"], operation


def test_the_guard_caps_exactly_the_endpoints_marked_scoring(tmp_path: Path) -> None:
    app = _app(tmp_path)
    guard = next(m for m in app.user_middleware if m.cls is Guard)
    assert guard.kwargs["scoring_paths"] == SCORING
