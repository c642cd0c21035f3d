"""The real server: uvicorn on a free loopback port, spoken to over HTTP; and the terminal CLI."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from features.i18n import has_chinese, human
from serving.settings import hash_key
from tests.serving.conftest import READ_KEY, register
from tests.serving.live import free_port, live_server


@pytest.fixture
def server(model_store: str, tmp_path: Path) -> Iterator[str]:
    with live_server(model_store, tmp_path) as url:
        yield url


def test_real_server_over_http(server: str, example_profile: dict[str, Any]) -> None:
    headers = {"X-API-Key": READ_KEY}
    r = httpx.post(f"{server}/v1/recommendations", headers=headers, timeout=30,
                   json={"profile": example_profile, "options": {"top_k": 3}})  # fmt: skip
    assert r.status_code == 200, r.text
    assert len(r.json()["result"]["recommendations"]) == 3
    assert (
        httpx.post(
            f"{server}/v1/recommendations", json={"profile": example_profile}, timeout=30
        ).status_code
        == 401
    )
    docs = httpx.get(f"{server}/openapi.json", timeout=10).json()
    assert "/v1/recommendations/batch" in docs["paths"]


def test_an_oversized_batch_is_refused_before_the_rest_of_the_body_arrives(
    server: str, example_profile: dict[str, Any]
) -> None:
    # Announce 2,000 factories, send 502 (over the default limit of 500) and stop: the answer
    # must come while the rest of the body is still owed.
    item = json.dumps(example_profile).encode()
    head = b'{"factories": ['
    sent = head + b", ".join([item] * 502)
    length = len(head) + 2_000 * (len(item) + 2) + 2
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(
            b"POST /v1/recommendations/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"X-API-Key: {READ_KEY}\r\nContent-Type: application/json\r\n".encode()
            + f"Content-Length: {length}\r\n\r\n".encode()
            + sent
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)  # times out (test fails) if the server waits for the rest
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, status_line
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "batch_too_large"
    assert "at most 500" in body["detail"]


def test_recommend_cli_prints_the_ranked_table(
    model_store: str, tmp_path: Path, example_profile: dict[str, Any]
) -> None:
    profile = tmp_path / "factory.json"
    profile.write_text(json.dumps(example_profile))
    out = tmp_path / "result.json"
    exe = shutil.which("decarb-recommend", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run(
        [exe, str(profile), "--tracking-uri", model_store, "--top-k", "4", "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    saved = json.loads(out.read_text())
    assert len(saved["recommendations"]) == 4
    top = saved["recommendations"][0]
    # People read three significant figures; the JSON keeps the full value.
    assert human(top["tco2e_avoided"]) in result.stdout
    assert f"{top['tco2e_avoided']:.6f}" not in result.stdout
    assert "Pathway" in result.stdout
    assert "gap to zero-carbon" in result.stdout
    zh = subprocess.run(
        [exe, str(profile), "--tracking-uri", model_store, "--top-k", "4", "--lang", "zh",
         "--target-reduction", "0.5", "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "COLUMNS": "200"},
    )  # fmt: skip
    assert zh.returncode == 0, zh.stdout + zh.stderr
    assert "零碳路径" in zh.stdout
    assert "目标" in zh.stdout
    saved_zh = json.loads(out.read_text())
    assert saved_zh["lang"] == "zh"
    assert has_chinese(saved_zh["recommendations"][0]["name"])
    assert saved_zh["recommendations"][0]["tco2e_avoided"] == top["tco2e_avoided"]


def _start(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("decarb-serve", path=str(Path(sys.executable).parent))
    assert exe is not None
    with log_path.open("w") as log:
        return subprocess.Popen([exe, *args], env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
        if process.poll() is not None:
            pytest.fail(f"server exited: {log_path.read_text()}")
    process.terminate()
    pytest.fail(f"server not ready in 90 s: {log_path.read_text()}")


def _servers(url: str, tries: int) -> dict[int, str]:
    """pid -> event loop of the workers that answered ``tries`` GET /v1/model, each on a new
    connection (a kept-alive one stays with one worker), four at a time."""

    def one(_: int) -> tuple[int, str]:
        server = httpx.get(f"{url}/v1/model", timeout=30).json()["server"]
        return int(server["pid"]), str(server["event_loop"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, range(tries)))


def test_two_workers_honour_every_flag(
    model_store: str, tmp_path: Path, example_profile: dict[str, Any], tiny_bundle: Any,
    tiny_data: Any,
) -> None:  # fmt: skip
    # The champion moves to a new version; the flags ask for version 1 without keys.
    champion = register(model_store, tiny_bundle, tiny_data.factories, tmp_path)
    assert champion != "1"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    env.update(
        {
            "DECARB_TRACKING_URI": model_store,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DECARB_READ_KEY_HASHES": json.dumps([hash_key(READ_KEY)]),
        }
    )
    log_path = tmp_path / "workers.log"
    process = _start(["--workers", "2", "--no-auth", "--port", str(port), "--model-uri",
                      "models:/decarb-recommender/1"], env, log_path)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        versions = set()
        body = {"profile": example_profile, "options": {"top_k": 2}}
        with httpx.Client(timeout=30) as client:
            for _ in range(12):
                r = client.post(f"{url}/v1/recommendations", json=body)
                assert r.status_code == 200, r.text  # no key needed: --no-auth reached workers
                versions.add(r.json()["model"]["version"])
            # A key put in the query string must not reach the logs.
            client.get(f"{url}/healthz?api_key=secret-in-query", headers={"X-API-Key": "k"})
        assert versions == {"1"}
        # Both workers answer, each on uvloop (the server is started with uvloop and httptools
        # by name: without them a worker took ~44 ms per request instead of ~0.3; the latency
        # of 1 and 2 workers is measured in bench/load.py, not asserted here).
        servers = _servers(url, tries=60)
        assert len(servers) == 2, servers
        assert set(servers.values()) == {"uvloop"}
        # Kept-alive connections opened together spread over both workers (each worker listens
        # on its own socket; with one shared socket, one worker could accept them all).
        clients = [httpx.Client(timeout=30) for _ in range(16)]
        try:
            held = {int(c.get(f"{url}/v1/model").json()["server"]["pid"]) for c in clients}
            held |= {int(c.get(f"{url}/v1/model").json()["server"]["pid"]) for c in clients}
        finally:
            for c in clients:
                c.close()
        assert held == set(servers), held
        # A worker that dies is replaced.
        os.kill(next(iter(servers)), signal.SIGKILL)
        deadline = time.monotonic() + 60
        now: dict[int, str] = {}
        while time.monotonic() < deadline:
            try:
                now = _servers(url, tries=20)
            except httpx.TransportError:
                now = {}
            if len(now) == 2 and now.keys() != servers.keys():
                break
            time.sleep(0.5)
        assert len(now) == 2, (servers, now)
        assert len(now.keys() & servers.keys()) == 1, (servers, now)
    finally:
        process.terminate()
        process.wait(timeout=30)
    # Every log line is JSON with the request's fields, and no key or body is logged.
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]  # fmt: skip
    requests = [line for line in lines if line.get("message") == "request"]
    assert len(requests) >= 12
    assert {"request_id", "path", "status", "ms", "model_version"} <= set(requests[0])
    assert {line["model_version"] for line in requests if line["path"] != "unmatched"} == {"1"}
    logged = json.dumps(lines)
    assert example_profile["factory_id"] not in logged  # no request body in the logs
    assert "secret-in-query" not in log_path.read_text()


def test_workers_refuse_a_port_another_server_listens_on(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # would share its traffic
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        exe = shutil.which("decarb-serve", path=str(Path(sys.executable).parent))
        assert exe is not None
        result = subprocess.run(
            [exe, "--workers", "2", "--no-auth", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is in use" in result.stderr


def test_bad_settings_stop_start_up_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    env["DECARB_AUTH_ENABLED"] = "true"
    exe = shutil.which("decarb-serve", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run([exe, "--port", str(free_port())], env=env, capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "DECARB_READ_KEY_HASHES" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_slow_uploads_without_a_key_hold_no_scoring_slot_and_time_out(
    model_store: str, tmp_path: Path, example_profile: dict[str, Any]
) -> None:
    # Two scoring slots; eight clients dribble a body a byte at a time, four of them without
    # a key to a page route (whose key is in the body). Legitimate scoring keeps its slots and
    # the dribblers are cut off after the body deadline.
    env = {"DECARB_MAX_IN_FLIGHT": "2", "DECARB_BODY_READ_TIMEOUT_S": "2",
           "DECARB_COMPILED_TREES": "false"}  # fmt: skip
    with live_server(model_store, tmp_path, **env) as url:
        host, port = url.removeprefix("http://").split(":")
        dribblers = []
        for i in range(8):
            path = "/results" if i % 2 else "/v1/recommendations"
            key = "" if i % 2 else f"X-API-Key: {READ_KEY}\r\n"
            kind = "application/x-www-form-urlencoded" if i % 2 else "application/json"
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{key}Content-Type: {kind}\r\n"
                "Content-Length: 5000\r\n\r\n".encode()
            )
            sock.sendall(b"{")
            dribblers.append(sock)
        codes = []
        for _ in range(4):
            for sock in dribblers:
                # Already cut off by the server is what the deadline is for.
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")
            r = httpx.post(f"{url}/v1/recommendations", json={"profile": example_profile},
                           headers={"X-API-Key": READ_KEY}, timeout=30)  # fmt: skip
            codes.append(r.status_code)
        assert codes == [200] * 4
        time.sleep(3.0)  # past the body deadline
        answers = []
        for sock in dribblers:
            try:
                answers.append(sock.recv(4096).decode("latin-1"))
            finally:
                sock.close()
        assert all(a.startswith("HTTP/1.1 408") for a in answers), [a[:60] for a in answers]
        assert all("request_timeout" in a for a in answers)
