"""A real ``decarb-serve`` on a free loopback port, for tests that speak HTTP to it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from serving.settings import hash_key
from tests.serving.conftest import READ_KEY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(store: str, workdir: Path, **env: str) -> Iterator[str]:
    """Start the service on ``store`` (read key ``READ_KEY``), yield its URL, stop it."""
    port = free_port()
    environ = {
        **os.environ,
        "DECARB_TRACKING_URI": store,
        "DECARB_PORT": str(port),
        "DECARB_READ_KEY_HASHES": json.dumps([hash_key(READ_KEY)]),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        **env,
    }
    exe = shutil.which("decarb-serve", path=str(Path(sys.executable).parent))
    assert exe is not None
    log_path = workdir / f"server-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen([exe], env=environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
            if process.poll() is not None:
                pytest.fail(f"server exited: {log_path.read_text()}")
        else:
            pytest.fail("server did not become ready in 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
