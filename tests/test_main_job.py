"""The README's main job, step by step as `make run` runs it: train a champion if none exists,
then serve it on 127.0.0.1 and answer a request."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _exe(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found is not None, f"{name} is not installed"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_main_job_trains_once_then_serves(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "MLFLOW_DISABLE_TELEMETRY": "true", "DECARB_PORT": str(port),
           "DECARB_AUTH_ENABLED": "false"}  # fmt: skip
    # Every step of the default run on all of its data (148,338 outcomes), with 40 trees per
    # booster instead of the defaults: about 150 s instead of 250-450 s on two cores. `make run`
    # trains the default sizes.
    first = subprocess.run([_exe("decarb-train"), "--if-no-champion", "--n-estimators", "40"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                           check=False)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "training one" in first.stdout
    assert "champion" in first.stdout
    assert "evaluating on the held-out iac part" in first.stdout
    second = subprocess.run([_exe("decarb-train"), "--if-no-champion"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert second.returncode == 0
    assert "exists; not training" in second.stdout

    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([_exe("decarb-serve")], cwd=tmp_path, env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        ready = False
        while time.monotonic() < deadline and process.poll() is None and not ready:
            try:
                ready = httpx.get(f"{url}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.5)
        output = (tmp_path / "serve.log").read_text()
        assert ready, output
        assert "curl -s -X POST" in output
        profile = json.loads((ROOT / "features/data/example_factory.json").read_text())
        response = httpx.post(f"{url}/v1/recommendations", json={"profile": profile}, timeout=30)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["result"]["recommendations"]
        # The default champion learned from the real audits shipped in the package and says
        # so, with counts and years, beside the calibrated generated data.
        assert answer["model"]["generated_data"] is False
        assert "real US DOE IAC audits" in answer["model"]["trained_on"]
        caveat = next(w for w in answer["result"]["warnings"] if "Industrial Assessment" in w)
        assert "US plants, fiscal years 1981-2021" in caveat, caveat
        assert "calibrated to the same audits" in caveat
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
