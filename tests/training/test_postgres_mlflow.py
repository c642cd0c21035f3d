"""MLflow on PostgreSQL: training, the registry and the champion gate with a
``postgresql+psycopg://`` tracking URI and artifacts in a configured folder; the service loads
the champion from it and its alias polling follows a new champion."""

from __future__ import annotations

import time
from pathlib import Path

import mlflow
from fastapi.testclient import TestClient

from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME
from serving.app import create_app
from tests.postgres import postgres_database
from tests.serving.conftest import READ_KEY, settings_for
from training.config import TrainConfig
from training.pipeline import run_training


def test_training_gate_and_serving_on_postgresql(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    with postgres_database() as url:
        small = {"source": "synthetic", "n_factories": 300, "tracking_uri": url,
                 "artifact_root": str(artifacts), "n_estimators": 20, "num_leaves": 7,
                 "min_child_samples": 10}  # fmt: skip
        first = run_training(TrainConfig(seed=3, **small))
        assert first.promoted
        client = mlflow.MlflowClient(tracking_uri=url)
        champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
        assert str(champion.version) == first.model_version
        assert champion.tags["gate"]
        # Artifacts went to the configured folder, not the working directory.
        assert any(artifacts.rglob("MLmodel"))
        run = client.get_run(first.run_id)
        assert run.info.artifact_uri.startswith(artifacts.resolve().as_uri())

        # The gate judges a second training against the champion on the same store.
        second = run_training(TrainConfig(seed=4, **small))
        assert second.model_version != first.model_version
        assert client.get_model_version(MODEL_NAME, second.model_version).tags["role"] in (
            "champion",
            "challenger",
        )

        # The service serves the champion from PostgreSQL and follows the alias.
        settings = settings_for(url, reload_poll_seconds=0.2)
        with TestClient(create_app(settings)) as service:
            now = str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS).version)
            assert service.get("/readyz").json()["model_version"] == now
            other = first.model_version if now != first.model_version else second.model_version
            client.set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, other)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if service.get("/readyz").json()["model_version"] == other:
                    break
                time.sleep(0.2)
            assert service.get("/readyz").json()["model_version"] == other
            answer = service.post("/v1/recommendations", headers={"X-API-Key": READ_KEY},
                                  json={"profile": {"factory_id": "p", "country": "CN",
                                                    "region": "Jiangsu", "sector": "machinery",
                                                    "reporting_year": 2024,
                                                    "electricity_kwh": 5e6}})  # fmt: skip
            assert answer.status_code == 200
            assert answer.json()["model"]["version"] == other
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
