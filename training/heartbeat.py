"""A training run's heartbeat, and marking FAILED the runs whose training is gone.

A training killed with SIGKILL (or lost with its machine) cannot close its MLflow run, which
then stays RUNNING for ever. While it trains, a thread stamps the run's ``heartbeat`` tag with
the time every :data:`BEAT_SECONDS`; the next training to start, on any host, marks FAILED
every RUNNING run whose last beat is older than :data:`STALE_AFTER_SECONDS`, and at once a run
of its own host whose process no longer exists.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import mlflow
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

logger = logging.getLogger("decarb.training")

#: The tag holding the time (Unix seconds) of a run's last beat.
HEARTBEAT_TAG = "heartbeat"
#: How often a running training stamps its run.
BEAT_SECONDS = 30.0
#: A RUNNING run whose last beat is older than this is taken for dead: ten beats missed, so a
#: store that is slow or briefly unreachable does not fail a live training.
STALE_AFTER_SECONDS = 300.0


class Heartbeat:
    """Stamp ``run_id``'s heartbeat now and every ``every_s`` seconds until the block ends."""

    def __init__(self, run_id: str, every_s: float = BEAT_SECONDS) -> None:
        self.run_id = run_id
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._beat(mlflow.MlflowClient())
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        client = mlflow.MlflowClient()
        while not self._stop.wait(self.every_s):
            self._beat(client)

    def _beat(self, client: mlflow.MlflowClient) -> None:
        try:
            client.set_tag(self.run_id, HEARTBEAT_TAG, f"{time.time():.0f}")
        except (MlflowException, OSError) as exc:  # the next beat tries again
            logger.warning("heartbeat not recorded", extra={"error_class": type(exc).__name__})


def last_beat(run: Run) -> float:
    """When ``run`` last showed life (Unix seconds): its heartbeat, else its start."""
    beat = run.data.tags.get(HEARTBEAT_TAG, "")
    try:
        return float(beat)
    except ValueError:
        return float(run.info.start_time) / 1000.0


@dataclass(frozen=True)
class Reaped:
    """A run marked FAILED, and why."""

    run_id: str
    reason: str


def reap_dead_runs(
    experiment: str,
    stale_after_s: float = STALE_AFTER_SECONDS,
    host: str | None = None,
    now: float | None = None,
) -> list[Reaped]:
    """Mark FAILED the RUNNING runs of ``experiment`` whose training is gone: no beat for
    ``stale_after_s`` (any host), or a process of this ``host`` that no longer exists."""
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    host = socket.gethostname() if host is None else host
    now = time.time() if now is None else now
    reaped = []
    for run in client.search_runs([found.experiment_id], "attributes.status = 'RUNNING'"):
        tags = run.data.tags
        pid = tags.get("pid", "")
        silent = now - last_beat(run)
        if tags.get("host") == host and pid.isdigit() and not _alive(int(pid)):
            reason = "process gone; marked FAILED at the next start"
        elif silent > stale_after_s:
            reason = (
                f"no heartbeat for {silent:.0f} s (over {stale_after_s:.0f} s); marked FAILED "
                f"at the next start (on {host})"
            )
        else:
            continue
        client.set_tag(run.info.run_id, "ended", reason)
        client.set_terminated(run.info.run_id, "FAILED")
        reaped.append(Reaped(run.info.run_id, reason))
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
