"""Outcomes and scale-out, measured: POST /v1/outcomes latency and throughput over HTTP on
SQLite and PostgreSQL, and batch scoring of a table of factories in one process vs a local Dask
cluster of 2 workers.

Usage: python bench/scale.py [--score-factories 100000] [--posts 300] [--out bench/results]
Writes scale.json into --out (bench/summary.py turns it into docs). Numbers only.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from load import KEY, KEY_HASH, _register, _serve  # bench/load.py: the same server helpers

from features.report import example_profile_data
from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle
from models.schemas import RecommendOptions
from serving.score import Partitioning, score_table

POSTGRES = os.environ.get("DECARB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _report(i: int, run: str) -> dict[str, Any]:
    profile = {**example_profile_data(), "factory_id": f"bench-{run}-{i}"}
    return {
        "factory_id": profile["factory_id"],
        "measure_id": "compressed_air_leak_repair",
        "status": "implemented",
        "period_start": "2025-01-01",
        "period_end": "2025-06-30",
        "measured_savings": [{"carrier": "electricity", "value": 1000 + i, "unit": "kWh"}],
        "actual_capex": 30000,
        "profile": profile,
    }


def _posts(url: str, n: int, clients: int) -> dict[str, Any]:
    """Sequential posts (latency), then ``clients`` threads posting (throughput)."""
    headers = {"X-API-Key": KEY}
    latencies = []
    run = uuid.uuid4().hex[:6]
    with httpx.Client(timeout=60, headers=headers) as c:
        for i in range(n):
            t = time.perf_counter()
            r = c.post(f"{url}/v1/outcomes", json=_report(i, run))
            latencies.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 201, r.text
        t = time.perf_counter()
        replay = c.post(f"{url}/v1/outcomes", json=_report(0, run))
        replay_ms = (time.perf_counter() - t) * 1000
    counter = iter(range(n, n + 100_000))
    lock = threading.Lock()
    done: list[int] = []
    stop = time.monotonic() + 5.0

    def client() -> None:
        with httpx.Client(timeout=60, headers=headers) as c:
            while time.monotonic() < stop:
                with lock:
                    i = next(counter)
                r = c.post(f"{url}/v1/outcomes", json=_report(i, run))
                done.append(r.status_code)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - started
    q = np.percentile(latencies, [50, 99])
    return {
        "posts": n,
        "p50_ms": round(float(q[0]), 2),
        "p99_ms": round(float(q[1]), 2),
        "replay_ms": round(replay_ms, 2),
        "replay_status": replay.status_code,
        "clients": clients,
        "throughput_per_s": round(done.count(201) / seconds, 1),
        "failed": sum(1 for s in done if s != 201),
    }


def _outcomes(workdir: Path, store: str, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    write = {"DECARB_WRITE_KEY_HASHES": json.dumps([KEY_HASH])}
    sqlite = f"sqlite:///{workdir / 'outcomes.db'}"
    process, url = _serve(store, workdir, {**write, "DECARB_DATABASE_URL": sqlite})
    try:
        out["sqlite"] = _posts(url, n, 8)
    finally:
        process.terminate()
        process.wait(timeout=30)
    name = f"decarb_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        out["postgresql"] = {"error": f"not reachable: {exc}"}
        return out
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            process, url = _serve(
                store, workdir, {**write, "DECARB_DATABASE_URL": f"{base}/{name}"}
            )
            try:
                out["postgresql"] = _posts(url, n, 8)
            finally:
                process.terminate()
                process.wait(timeout=30)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def _scoring(bundle: RecommendationBundle, n: int) -> dict[str, Any]:
    frame = generate(SyntheticConfig(n_factories=n, seed=99)).factories
    frame = frame[[c for c in frame.columns if c != "grid" and not c.startswith("x_")]]
    options = RecommendOptions(top_k=10, explain="none")
    out: dict[str, Any] = {"factories": n, "top_k": 10, "explain": "none"}
    for name, dask in (("single_process", None), ("dask_local_2_workers", "local")):
        started = time.perf_counter()
        table = score_table(frame, bundle, options, Partitioning(size=2000, dask=dask))
        seconds = time.perf_counter() - started
        out[name] = {
            "seconds": round(seconds, 1),
            "factories_per_s": round(n / seconds, 1),
            "rows": len(table),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--score-factories", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--train-factories", type=int, default=1500, help="The model's data.")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    out: dict[str, Any] = {"cores": os.cpu_count(), "load_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store = f"sqlite:///{workdir / 'mlflow.db'}"
        data = generate(SyntheticConfig(n_factories=args.train_factories, seed=7))
        bundle = RecommendationBundle(BundleConfig(n_estimators=150))
        bundle.fit(data.factories, data.outcomes)
        _register(store, bundle, data.factories, workdir)
        out["outcomes"] = _outcomes(workdir, store, args.posts)
        out["scoring"] = _scoring(bundle, args.score_factories)
        out["dask_training"] = (
            "time and peak memory of the driver and each worker at 100k factories, single "
            "process vs a local cluster, are in the training section (`bench/train_time.py "
            "--dask-sizes`)"
        )
    out["load_end"] = os.getloadavg()[0]
    (args.out / "scale.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
