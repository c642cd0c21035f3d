"""Only bundles this project's training logged are unpickled: a foreign model registered under
the champion alias, a bundle file changed after training, or a record without the configured
key is refused before anything is unpickled, and the service keeps its model."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import mlflow
import pytest
from fastapi.testclient import TestClient
from mlflow.pyfunc.model import PythonModel

from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, load_bundle
from models.trust import HMAC_TAG, SHA256_TAG, UntrustedModelError
from serving.app import create_app
from tests.serving.conftest import ADMIN_KEY, register, settings_for

ADMIN = {"X-API-Key": ADMIN_KEY}


class _Payload:
    """Pickles to a call that writes ``marker``: proof, if the file appears, that it was
    unpickled (harmless otherwise)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Path.write_text, (self.marker, "unpickled"))


class _ForeignModel(PythonModel):
    """A pyfunc model that is not ours, with the same payload in its own pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Path.write_text, (self.marker, "unpickled"))

    def predict(self, context: Any, model_input: list[str], params: Any = None) -> list[str]:
        return model_input


@pytest.fixture
def store(tmp_path: Path, tiny_bundle: Any, tiny_data: Any) -> str:
    """A fresh store whose champion (version 1) was logged as training logs it."""
    url = f"sqlite:///{tmp_path / 'mlflow.db'}"
    register(url, tiny_bundle, tiny_data.factories, tmp_path)
    return url


def _move_champion(version: str) -> None:
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)


def _register_foreign(store: str, tmp_path: Path, tags: dict[str, str] | None = None) -> str:
    """A foreign pyfunc model (payloads in python_model.pkl and artifacts/bundle.pkl), logged
    and registered as a new version; returns the version."""
    mlflow.set_tracking_uri(store)
    bundle = tmp_path / "foreign" / "bundle.pkl"  # the file name the service fetches
    bundle.parent.mkdir(exist_ok=True)
    bundle.write_bytes(pickle.dumps(_Payload(tmp_path / "bundle-unpickled")))
    with mlflow.start_run():
        if tags:
            mlflow.set_tags(tags)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=_ForeignModel(tmp_path / "pyfunc-unpickled"),
            artifacts={"bundle": str(bundle)},
            pip_requirements=["mlflow"],
        )
    return str(mlflow.register_model(info.model_uri, MODEL_NAME).version)


def _markers(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "bundle-unpickled", tmp_path / "pyfunc-unpickled") if p.exists()]


def _reload(store: str, tmp_path: Path, move_to: Any, **overrides: Any) -> tuple[Any, Any]:
    """Serve the champion, call ``move_to()`` to register and point the alias at another
    version, reload; the reload's answer and /readyz after it."""
    settings = settings_for(store, compiled_trees=False, **overrides)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["model_version"] == "1"
        move_to()
        reload = client.post("/v1/admin/reload", headers=ADMIN).json()
        ready = client.get("/readyz").json()
    return reload, ready


def test_a_foreign_pickle_under_the_champion_alias_is_never_unpickled(
    store: str, tmp_path: Path
) -> None:
    def foreign() -> None:
        _move_champion(_register_foreign(store, tmp_path))

    reload, ready = _reload(store, tmp_path, foreign)
    assert reload["ok"] is False
    assert f"no {SHA256_TAG} tag" in reload["message"]
    assert "kept version 1" in reload["message"]
    assert ready == {"status": "ready", "model_version": "1"}  # the old model keeps serving
    assert _markers(tmp_path) == []
    # The payload is live: unpickled, it does write its marker (so the check above can fail).
    pickle.loads((tmp_path / "foreign" / "bundle.pkl").read_bytes())
    assert _markers(tmp_path) == [tmp_path / "bundle-unpickled"]


def test_a_forged_record_of_another_file_is_a_mismatch(store: str, tmp_path: Path) -> None:
    # Whoever registers the foreign model copies the champion's digest onto its run.
    champion = mlflow.MlflowClient(tracking_uri=store).get_model_version(MODEL_NAME, "1")
    digest = mlflow.MlflowClient(tracking_uri=store).get_run(champion.run_id).data.tags
    forged = {SHA256_TAG: digest[SHA256_TAG]}

    def foreign() -> None:
        _move_champion(_register_foreign(store, tmp_path, forged))

    reload, ready = _reload(store, tmp_path, foreign)
    assert reload["ok"] is False
    assert "does not match" in reload["message"]
    assert ready["model_version"] == "1"
    assert _markers(tmp_path) == []


def test_a_bundle_file_changed_after_training_is_refused(
    store: str, tmp_path: Path, tiny_bundle: Any, tiny_data: Any
) -> None:
    def tampered() -> None:
        before = set((tmp_path / "mlartifacts").rglob("bundle.pkl"))
        version = register(store, tiny_bundle, tiny_data.factories, tmp_path / "second")
        [stored] = set((tmp_path / "mlartifacts").rglob("bundle.pkl")) - before
        stored.write_bytes(pickle.dumps(_Payload(tmp_path / "bundle-unpickled")))
        _move_champion(version)

    (tmp_path / "second").mkdir()
    reload, ready = _reload(store, tmp_path, tampered)
    assert reload["ok"] is False
    assert "does not match" in reload["message"]
    assert ready["model_version"] == "1"
    assert _markers(tmp_path) == []


def test_with_a_signing_key_only_bundles_signed_with_it_load(
    store: str, tmp_path: Path, tiny_bundle: Any, tiny_data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Version 1 carries only the plain digest (logged without a key): refused under a key.
    with pytest.raises(UntrustedModelError, match=f"no {HMAC_TAG} tag"):
        load_bundle(f"models:/{MODEL_NAME}/1", signing_key="the-service-key")
    monkeypatch.setenv("DECARB_MODEL_SIGNING_KEY", "another-key")
    (tmp_path / "other").mkdir()
    other = register(store, tiny_bundle, tiny_data.factories, tmp_path / "other")
    with pytest.raises(UntrustedModelError, match="does not match"):
        load_bundle(f"models:/{MODEL_NAME}/{other}", signing_key="the-service-key")
    monkeypatch.setenv("DECARB_MODEL_SIGNING_KEY", "the-service-key")
    (tmp_path / "signed").mkdir()
    signed = register(store, tiny_bundle, tiny_data.factories, tmp_path / "signed")
    loaded = load_bundle(f"models:/{MODEL_NAME}@{CHAMPION_ALIAS}", signing_key="the-service-key")
    assert loaded.version == signed
    assert SHA256_TAG in loaded.tags
    assert HMAC_TAG in loaded.tags
