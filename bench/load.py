"""Load and faults, bounded, on loopback: the real service under 8/32/128 concurrent clients
(latency of admitted requests, share refused with 503/429), reload under load (16 clients, the
alias flipping and the service reloading every 0.5 s: failed responses and answers labelled with
a version that did not compute them), and kill -9 of a training (what the next start finds).

Usage: python bench/load.py [--seconds 8] [--out bench/results]
Writes load.json into --out (bench/summary.py turns it into docs). Numbers only; nothing here
is a test assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import mlflow
import numpy as np

from features.report import example_profile_data
from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, log_bundle, use_store
from serving.settings import hash_key

KEY = "bench-key"
KEY_HASH = hash_key(KEY)
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _register(store: str, bundle: RecommendationBundle, factories: Any, workdir: Path) -> str:
    use_store(store, "bench-load")
    with mlflow.start_run():
        info = log_bundle(bundle, factories, workdir)
    version = str(mlflow.register_model(info.model_uri, MODEL_NAME).version)
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
    return version


def _wait_compiled(url: str, deadline: float) -> None:
    """Measure the service as it runs once its trees are compiled (built in the background
    after the model loads)."""
    while time.monotonic() < deadline:
        model = httpx.get(f"{url}/v1/model", headers={"X-API-Key": KEY}, timeout=5).json()
        if not model["compiled_trees"].startswith(("compiling", "not loaded")):
            return
        time.sleep(0.3)


def _serve(
    store: str, workdir: Path, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECARB_")}
    env.update(
        {
            "DECARB_TRACKING_URI": store,
            "DECARB_PORT": str(port),
            "DECARB_LOG_LEVEL": "WARNING",
            "DECARB_READ_KEY_HASHES": json.dumps([KEY_HASH]),
            "DECARB_ADMIN_KEY_HASHES": json.dumps([KEY_HASH]),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DECARB_COMPILED_CACHE": str(workdir / "compiled"),
            **extra_env,
        }
    )
    log = (workdir / f"server-{port}.log").open("w")
    process = subprocess.Popen([str(BIN / "decarb-serve")], env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                _wait_compiled(url, deadline)
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"server did not start: {(workdir / f'server-{port}.log').read_text()}")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _process_rss(supervisor: int, url: str) -> dict[str, Any]:
    """RSS of the supervising process and of each worker that answers (by pid)."""
    pids = set()
    for _ in range(40):
        with httpx.Client(timeout=10) as client:  # a new connection each time
            model = client.get(f"{url}/v1/model", headers={"X-API-Key": KEY}).json()
            pids.add(int(model["server"]["pid"]))
    return {"supervisor": _rss_mb(supervisor), "workers": [_rss_mb(p) for p in sorted(pids)]}


def _load(url: str, clients: int, seconds: float, body: dict[str, Any]) -> dict[str, Any]:
    """``clients`` keep-alive connections posting for ``seconds``: latency of admitted requests
    and the statuses of all. The client is asyncio on raw sockets (one thread, a pre-built
    request, only the status line and Content-Length parsed), so that on a 2-core machine it
    takes little of the CPU it measures."""
    return asyncio.run(_load_async(url, clients, seconds, body))


async def _load_async(
    url: str, clients: int, seconds: float, body: dict[str, Any]
) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    request = (
        f"POST /v1/recommendations HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    admitted: list[float] = []
    refused: list[float] = []
    statuses: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = head.split(b" ", 2)[1].decode()
                    length = next(
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    )
                    await reader.readexactly(length)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    status = type(exc).__name__
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                ms = (time.perf_counter() - t) * 1000
                statuses[status] = statuses.get(status, 0) + 1
                (admitted if status == "200" else refused).append(ms)
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    q = np.percentile(admitted, [50, 99]) if admitted else [float("nan")] * 2
    r = np.percentile(refused, [50, 99]) if refused else [float("nan")] * 2
    total = sum(statuses.values())
    return {
        "clients": clients,
        "requests": total,
        "statuses": statuses,
        "admitted_p50_ms": round(float(q[0]), 1),
        "admitted_p99_ms": round(float(q[1]), 1),
        "refused_share": round(len(refused) / total, 3) if total else None,
        "refused_p50_ms": round(float(r[0]), 1),
        "refused_p99_ms": round(float(r[1]), 1),
        "throughput_per_s": round(len(admitted) / seconds, 1),
    }


def _reload_under_load(url: str, store: str, versions: list[str], seconds: float,
                       body: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    registry = mlflow.MlflowClient(tracking_uri=store)
    run_of = {v: registry.get_model_version(MODEL_NAME, v).run_id for v in versions}
    seen: list[tuple[str, str | None, str | None]] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=60, headers={"X-API-Key": KEY}) as c:
            while not stop.is_set():
                try:
                    r = c.post(f"{url}/v1/recommendations", json=body)
                except httpx.TransportError as exc:
                    seen.append((type(exc).__name__, None, None))
                    continue
                model = r.json().get("model", {}) if r.status_code == 200 else {}
                seen.append((str(r.status_code), model.get("version"), model.get("run_id")))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for th in threads:
        th.start()
    reloads = 0
    end = time.monotonic() + seconds
    with httpx.Client(timeout=60, headers={"X-API-Key": KEY}) as admin:
        while time.monotonic() < end:
            registry.set_registered_model_alias(
                MODEL_NAME, CHAMPION_ALIAS, versions[reloads % len(versions)]
            )
            admin.post(f"{url}/v1/admin/reload")
            reloads += 1
            time.sleep(0.5)
    stop.set()
    for th in threads:
        th.join()
    failed = sum(1 for status, _, _ in seen if status != "200")
    mislabelled = sum(1 for status, v, run in seen if status == "200" and run_of.get(str(v)) != run)
    return {
        "clients": 16,
        "reloads": reloads,
        "responses": len(seen),
        "failed": failed,
        "mislabelled_versions": mislabelled,
        "versions_served": sorted({str(v) for s, v, _ in seen if s == "200"}),
    }


def _kill_training(store: str, n_factories: int) -> dict[str, Any]:
    """Start a training, SIGKILL it once its run exists, then start another: what is left."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "MLFLOW_DISABLE_TELEMETRY": "true"}
    args = [
        str(BIN / "decarb-train"),
        "--source",
        "synthetic",
        "--n-factories",
        str(n_factories),
        "--tracking-uri",
        store,
    ]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    use_store(store, "decarb-recommender")
    client = mlflow.MlflowClient()
    ghost = None
    deadline = time.monotonic() + 120
    while ghost is None and time.monotonic() < deadline and process.poll() is None:
        exp = client.get_experiment_by_name("decarb-recommender")
        if exp is not None:
            runs = client.search_runs([exp.experiment_id], "attributes.status = 'RUNNING'")
            ghost = runs[0].info.run_id if runs else None
        time.sleep(0.2)
    if ghost is None:
        process.kill()
        return {"error": "no RUNNING run appeared before the training ended"}
    time.sleep(1.0)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = client.get_run(ghost).info.status
    versions_before = len(client.search_model_versions(f"name='{MODEL_NAME}'"))
    again = subprocess.run([*args[:1], "--n-factories", "300", "--tracking-uri", store], env=env,
                           capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    untagged = [v.version for v in client.search_model_versions(f"name='{MODEL_NAME}'")
                if not v.tags.get("role") or not v.tags.get("gate")]  # fmt: skip
    return {
        "killed_run_status_after_kill": before,
        "killed_run_status_after_next_start": client.get_run(ghost).info.status,
        "next_training_exit_code": again.returncode,
        "versions_before_next_start": versions_before,
        "untagged_versions": untagged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--factories", type=int, default=1500, help="Training set of the model.")
    parser.add_argument(
        "--kill-factories", type=int, default=2000, help="Size of the training that is killed."
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    body = {"profile": example_profile_data(), "options": {"top_k": 5}}
    out: dict[str, Any] = {"seconds_per_level": args.seconds, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store = f"sqlite:///{workdir / 'mlflow.db'}"
        data = generate(SyntheticConfig(n_factories=args.factories, seed=7))
        bundle = RecommendationBundle(BundleConfig(n_estimators=150))
        bundle.fit(data.factories, data.outcomes)
        versions = [_register(store, bundle, data.factories, workdir) for _ in range(2)]
        process, url = _serve(store, workdir, {})
        try:
            out["load"] = [_load(url, n, args.seconds, body) for n in (8, 32, 128)]
            out["reload_under_load"] = _reload_under_load(url, store, versions, args.seconds, body)
        finally:
            process.terminate()
            process.wait(timeout=30)
        workers, url = _serve(store, workdir, {"DECARB_WORKERS": "2"})
        try:
            out["two_workers"] = [_load(url, n, args.seconds, body) for n in (1, 8)]
            out["two_workers_rss_mb"] = _process_rss(workers.pid, url)
        finally:
            workers.terminate()
            workers.wait(timeout=30)
        limited, url = _serve(store, workdir, {"DECARB_RATE_LIMIT_PER_MINUTE": "120"})
        try:
            out["rate_limited_load"] = _load(url, 32, args.seconds, body)
        finally:
            limited.terminate()
            limited.wait(timeout=30)
        out["kill_training"] = _kill_training(
            f"sqlite:///{workdir / 'train.db'}", args.kill_factories
        )
    (args.out / "load.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
