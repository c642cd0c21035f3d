"""The multi-worker supervisor (``python -m serving.workers``) on its own."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.serving.live import free_port


def test_workers_that_die_at_start_stop_the_service_instead_of_restarting_forever() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    result = subprocess.run(
        [sys.executable, "-m", "serving.workers", "serving.no_such_module:app", "127.0.0.1",
         str(port), "2", "uvloop", "httptools", "INFO"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert "workers exited right after starting 3 times in a row" in result.stderr
    # the log says which workers exited and how
    assert result.stdout.count("worker exited; starting another") >= 2, result.stdout[-2000:]
