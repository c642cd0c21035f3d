"""Compiled trees are built by one builder process at the lowest priority, never inside the
service and never twice at once on a host: counted by the builds the cache folder logs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models.compiled import BUILD_LOG, booster_digest, component_boosters
from serving.app import create_app
from tests.serving.conftest import ADMIN_KEY, READ_KEY, settings_for

READ = {"X-API-Key": READ_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}


def _builds(cache: Path) -> list[str]:
    log = cache / BUILD_LOG
    return log.read_text().splitlines() if log.exists() else []


def test_a_reload_storm_starts_one_compiler_outside_the_service(
    model_store: str, example_profile: dict[str, Any], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    body = {"profile": example_profile, "options": {"top_k": 3}}
    with TestClient(create_app(settings_for(model_store, compiled_cache=str(cache)))) as client:
        # 17 reloads of the version whose libraries are not built yet, answering throughout
        for _ in range(17):
            assert client.post("/v1/admin/reload", headers=ADMIN).json()["ok"]
            assert client.post("/v1/recommendations", json=body, headers=READ).status_code == 200
        deadline = time.monotonic() + 180
        state = ""
        while time.monotonic() < deadline:
            state = client.get("/v1/model", headers=READ).json()["compiled_trees"]
            if state.startswith(("ready", "failed")):
                break
            time.sleep(0.2)
        assert state.startswith("ready"), state
    builds = _builds(cache)
    assert len(builds) == 1, builds  # one compiler run for 18 loads of one version
    assert f"pid={os.getpid()} " not in builds[0]  # not in the serving process
    assert "nice=19" in builds[0]  # at the lowest priority
    assert not list(cache.glob("*.txt"))  # the model texts handed to the builder are gone


def test_builders_of_several_workers_run_the_compiler_once(
    tiny_bundle: Any, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    digests = []
    for _, _, booster in component_boosters(tiny_bundle):
        digest = booster_digest(booster)
        booster.save_model(str(cache / f"{digest}.txt"))
        digests.append(digest)
    # four workers' builders started at once for the same libraries
    builders = [
        subprocess.Popen(
            [sys.executable, "-P", "-m", "models.compiled", str(cache), *digests],
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for builder in builders:
        _, err = builder.communicate(timeout=300)
        assert builder.returncode == 0, err.decode()[-2000:]
    assert len(_builds(cache)) == 1, _builds(cache)
    assert sorted(p.stem for p in cache.glob("*.so")) == sorted(digests)
