from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from fastapi.testclient import TestClient

from features.report import example_profile_data
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, log_bundle, use_store
from serving.app import create_app
from serving.settings import Settings, hash_key

READ_KEY, ADMIN_KEY = "read-key-123", "admin-key-456"


def register(store: str, bundle: Any, factories: Any, workdir: Path) -> str:
    """Log ``bundle`` to ``store``, register it and point the champion alias at it."""
    use_store(store, "serving-tests")
    with mlflow.start_run():
        info = log_bundle(bundle, factories, workdir)
    version = str(mlflow.register_model(info.model_uri, MODEL_NAME).version)
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
    return version


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Any, tiny_data: Any) -> str:
    root = tmp_path_factory.mktemp("store")
    store = f"sqlite:///{root / 'mlflow.db'}"
    register(store, tiny_bundle, tiny_data.factories, root)
    return store


COMPILED_CACHE = Path(tempfile.gettempdir()) / f"decarb-compiled-trees-tests-{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _compiled_cache_removed_at_the_end() -> Iterator[None]:
    yield
    shutil.rmtree(COMPILED_CACHE, ignore_errors=True)


def settings_for(store: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "tracking_uri": store,
        "read_key_hashes": [hash_key(READ_KEY)],
        "admin_key_hashes": [hash_key(ADMIN_KEY)],
        "batch_max_factories": 5,
        # Outcomes go to a throwaway SQLite file, never the working directory.
        "database_url": f"sqlite:///{Path(tempfile.mkdtemp(prefix='outcomes-')) / 'outcomes.db'}",
        # Compiled trees on, as in production, kept in one folder for the session.
        "compiled_cache": str(COMPILED_CACHE),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def example_profile() -> dict[str, Any]:
    return example_profile_data()
