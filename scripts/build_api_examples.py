"""Write serving/data/response_examples.json: one real response per endpoint, recorded from the
service with a small model trained on generated data, for the OpenAPI documentation.

Usage: python scripts/build_api_examples.py  (a test checks every example still validates
against its response model, so a schema change without a rebuild fails the tests)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import mlflow
from fastapi.testclient import TestClient

from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, log_bundle, use_store
from serving.app import create_app
from serving.routes.endpoint import DOCUMENTED, EXAMPLE_PROFILE
from serving.settings import Settings
from serving.verify import example_request

OUT = Path(__file__).resolve().parents[1] / "serving" / "data" / "response_examples.json"


def _trim_measures(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "measures": body["measures"][:2]}


def trim_series(body: dict[str, Any], keep: int = 3) -> dict[str, Any]:
    """A verification answer with the first ``keep`` chart points only (the rest alike)."""
    return {**body, "result": {**body["result"], "series": body["result"]["series"][:keep]}}


def verification_example(client: TestClient) -> dict[str, Any]:
    """``POST /v1/verifications`` on the shipped meter file, its series trimmed."""
    response = client.post("/v1/verifications", json=example_request())
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/verifications: {response.status_code} {response.text[:300]}")
    return trim_series(response.json())


def main() -> None:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        data = generate(SyntheticConfig(n_factories=600, seed=11))
        bundle = RecommendationBundle(BundleConfig(n_estimators=40, num_leaves=15))
        bundle.fit(data.factories, data.outcomes)
        bundle.describe_training(data.report.source, {})
        use_store(store, "examples")
        with mlflow.start_run():
            info = log_bundle(bundle, data.factories, Path(tmp))
        version = mlflow.register_model(info.model_uri, MODEL_NAME).version
        mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
        settings = Settings(
            tracking_uri=store, auth_enabled=False, compiled_cache=str(Path(tmp) / "compiled")
        )
        options = {"top_k": 1, "top_features": 2}
        with TestClient(create_app(settings)) as client:
            deadline = time.monotonic() + 300  # the answers as they are once trees are compiled
            while time.monotonic() < deadline:
                state = client.get("/v1/model").json()["compiled_trees"]
                if state.startswith(("ready", "failed")):
                    break
                time.sleep(0.2)
            calls = {
                "GET /healthz": client.get("/healthz"),
                "GET /readyz": client.get("/readyz"),
                "POST /v1/recommendations": client.post(
                    "/v1/recommendations", json={"profile": EXAMPLE_PROFILE, "options": options}
                ),
                "POST /v1/recommendations/batch": client.post(
                    "/v1/recommendations/batch",
                    json={
                        "factories": [EXAMPLE_PROFILE, {"factory_id": "bad"}],
                        "options": {**options, "explain": "none"},
                    },
                ),
                "POST /v1/footprint": client.post(
                    "/v1/footprint", json={"profile": EXAMPLE_PROFILE}
                ),
                "GET /v1/measures": client.get("/v1/measures"),
                "GET /v1/model": client.get("/v1/model"),
                "POST /v1/admin/reload": client.post("/v1/admin/reload"),
            }
            verification = verification_example(client)
    examples = {}
    for key, response in calls.items():
        if response.status_code != 200:
            raise RuntimeError(f"{key}: {response.status_code} {response.text[:300]}")
        body = response.json()
        examples[key] = _trim_measures(body) if key == "GET /v1/measures" else body
    examples["POST /v1/verifications"] = verification
    missing = DOCUMENTED - set(examples)
    if missing:
        raise RuntimeError(f"no recorded answer for {sorted(missing)}: add a call above")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
