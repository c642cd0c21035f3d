"""A training killed with SIGKILL: its run stops beating, and the next start on any host marks
it FAILED, while a run that still beats is left alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest

from models.pyfunc import use_store
from training.heartbeat import HEARTBEAT_TAG, Heartbeat, reap_dead_runs

pytestmark = pytest.mark.slow

EXPERIMENT = "heartbeat-test"


def _running_run(client: mlflow.MlflowClient, experiment_id: str) -> str | None:
    runs = client.search_runs([experiment_id], "attributes.status = 'RUNNING'")
    beating = [r for r in runs if HEARTBEAT_TAG in r.data.tags and "pid" in r.data.tags]
    return beating[0].info.run_id if beating else None


def test_a_killed_training_is_marked_failed_by_the_next_start_on_another_host(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    use_store(store, EXPERIMENT)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    exe = shutil.which("decarb-train", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    config = tmp_path / "train.yaml"
    config.write_text(f"experiment: {EXPERIMENT}\n")
    training = subprocess.Popen(
        [exe, "--source", "synthetic", "--n-factories", "3000", "--tracking-uri", store,
         "--config", str(config)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        killed = None
        while time.monotonic() < deadline and training.poll() is None:
            killed = _running_run(client, experiment.experiment_id)
            if killed is not None:
                break
            time.sleep(0.2)
        assert killed is not None, "the training never showed a beating RUNNING run"
        assert training.poll() is None, "the training ended before it could be killed"
        os.kill(training.pid, signal.SIGKILL)
        training.wait(timeout=30)
    finally:
        if training.poll() is None:
            training.kill()
    assert client.get_run(killed).info.status == "RUNNING"  # it could not close its own run

    # A training that is alive keeps beating (every 0.2 s here) and is left alone.
    alive = client.create_run(experiment.experiment_id, tags={"host": "elsewhere", "pid": "1"})
    with Heartbeat(alive.info.run_id, every_s=0.2):
        time.sleep(3.0)
        # the next start, on a host where the killed training's pid means nothing
        reaped = reap_dead_runs(EXPERIMENT, stale_after_s=2.0, host="another-host")
    assert [r.run_id for r in reaped] == [killed]
    assert client.get_run(killed).info.status == "FAILED"
    assert "no heartbeat" in client.get_run(killed).data.tags["ended"]
    assert client.get_run(alive.info.run_id).info.status == "RUNNING"
    client.set_terminated(alive.info.run_id, "KILLED")
