"""Hardening numbers on loopback (issue 32), printed side by side; nothing here is a test.

- ``storm``: throughput of 4 clients scoring, steady (compiled trees ready) and while a version
  whose trees are not compiled yet is reloaded 17 times in 60 s (the compiler runs in a builder
  process at the lowest priority); the ratio, and how many compiler runs the cache logged.
- ``pdf``: /healthz p50 idle, and while 4 clients render PDF reports (/v1/reports); the ratio.
- ``rss``: the service's RSS before and after 40,000 mixed requests (scoring, footprints,
  refused bodies, catalogue and health reads, unknown paths); the growth in percent.

Usage: python bench/hardening.py [storm|pdf|rss|all] [--requests 40000] [--storm-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import mlflow
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import KEY, _load, _register, _rss_mb, _serve

from features.report import example_profile_data
from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle
from models.compiled import BUILD_LOG
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME

HEADERS = {"X-API-Key": KEY}


def _bundle(seed: int, factories: int) -> tuple[RecommendationBundle, Any]:
    data = generate(SyntheticConfig(n_factories=factories, seed=seed))
    bundle = RecommendationBundle(BundleConfig(n_estimators=120, random_state=seed))
    bundle.fit(data.factories, data.outcomes)
    return bundle, data.factories


def storm(workdir: Path, seconds: float, factories: int) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    store = f"sqlite:///{workdir / 'storm.db'}"
    body = {"profile": example_profile_data(), "options": {"top_k": 5}}
    first, rows = _bundle(7, factories)
    second, rows2 = _bundle(8, factories)  # other trees: libraries not built yet
    _register(store, first, rows, workdir)
    new = _register(store, second, rows2, workdir)
    mlflow.MlflowClient(tracking_uri=store).set_registered_model_alias(
        MODEL_NAME, CHAMPION_ALIAS, "1"
    )
    process, url = _serve(store, workdir, {})  # waits until version 1 is compiled
    try:
        steady = _load(url, 4, seconds, body)
        mlflow.MlflowClient(tracking_uri=store).set_registered_model_alias(
            MODEL_NAME, CHAMPION_ALIAS, new
        )
        stop = threading.Event()
        reloads: list[int] = []

        def reloader() -> None:
            with httpx.Client(timeout=120, headers=HEADERS) as admin:
                for _ in range(17):
                    if stop.wait(seconds / 18):  # all 17 within the load's seconds
                        return
                    reloads.append(admin.post(f"{url}/v1/admin/reload").status_code)

        thread = threading.Thread(target=reloader)
        thread.start()
        during = _load(url, 4, seconds, body)
        stop.set()
        thread.join()
        state = httpx.get(f"{url}/v1/model", headers=HEADERS, timeout=10).json()
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = workdir / "compiled" / BUILD_LOG
    runs = log.read_text().splitlines() if log.exists() else []
    return {
        "steady_per_s": steady["throughput_per_s"],
        "storm_per_s": during["throughput_per_s"],
        "ratio": round(during["throughput_per_s"] / steady["throughput_per_s"], 2),
        "storm_p99_ms": during["admitted_p99_ms"],
        "storm_statuses": during["statuses"],
        "reloads": reloads,
        "compiler_runs": len(runs),
        "compiled_trees_after": state["compiled_trees"],
    }


def _p50_healthz(url: str, n: int) -> float:
    times = []
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            t = time.perf_counter()
            client.get(f"{url}/healthz")
            times.append((time.perf_counter() - t) * 1000)
            time.sleep(0.01)
    return round(float(np.percentile(times, 50)), 2)


def pdf(workdir: Path, factories: int) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    store = f"sqlite:///{workdir / 'pdf.db'}"
    bundle, rows = _bundle(7, factories)
    _register(store, bundle, rows, workdir)
    process, url = _serve(store, workdir, {"DECARB_COMPILED_TREES": "false"})
    body = {"profile": example_profile_data(), "options": {"top_k": 5}}
    try:
        idle = _p50_healthz(url, 300)
        stop = threading.Event()
        rendered: list[int] = []

        def renderer() -> None:
            with httpx.Client(timeout=120, headers=HEADERS) as client:
                while not stop.is_set():
                    rendered.append(client.post(f"{url}/v1/reports", json=body).status_code)

        threads = [threading.Thread(target=renderer) for _ in range(4)]
        for th in threads:
            th.start()
        time.sleep(2.0)  # every renderer busy
        busy = _p50_healthz(url, 300)
        stop.set()
        for th in threads:
            th.join()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "healthz_p50_idle_ms": idle,
        "healthz_p50_pdf_ms": busy,
        "ratio": round(busy / idle, 2),
        "pdfs": len(rendered),
        "pdf_statuses": sorted(set(rendered)),
    }


def _mixed(url: str, total: int) -> dict[str, int]:
    """``total`` requests over 8 keep-alive connections, in a fixed rotation of kinds."""
    profile = example_profile_data()
    kinds: list[tuple[str, str, Any]] = [
        ("POST", "/v1/recommendations", {"profile": profile, "options": {"top_k": 3}}),
        ("POST", "/v1/footprint", {"profile": profile}),
        ("POST", "/v1/recommendations", {"profile": {**profile, "employees": -5}}),
        ("POST", "/v1/footprint", {"profile": {**profile, "electricity_kwh": "x" * 2000}}),
        ("GET", "/v1/measures", None),
        ("GET", "/healthz", None),
        ("GET", "/v1/no-such-path", None),
        ("POST", "/v1/recommendations", {"profile": profile, "extra": [[[1]]]}),
    ]
    statuses: dict[str, int] = {}
    counter = iter(range(total))

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            method, path, body = kinds[i % len(kinds)]
            r = await http.request(method, f"{url}{path}", json=body)
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1

    async def run() -> None:
        async with httpx.AsyncClient(timeout=60, headers=HEADERS) as http:
            await asyncio.gather(*(client(http) for _ in range(8)))

    asyncio.run(run())
    return statuses


def rss(workdir: Path, factories: int, requests: int) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    store = f"sqlite:///{workdir / 'rss.db'}"
    bundle, rows = _bundle(7, factories)
    _register(store, bundle, rows, workdir)
    process, url = _serve(store, workdir, {"DECARB_MAX_IN_FLIGHT": "1000"})
    try:
        _mixed(url, 800)  # warm: every path once, caches filled
        before = _rss_mb(process.pid)
        started = time.monotonic()
        statuses = _mixed(url, requests)
        seconds = round(time.monotonic() - started, 1)
        after = _rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "requests": requests,
        "seconds": seconds,
        "statuses": statuses,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "growth_percent": round((after - before) / before * 100, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", default="all", choices=["storm", "pdf", "rss", "all"])
    parser.add_argument("--requests", type=int, default=40_000)
    parser.add_argument("--storm-seconds", type=float, default=60.0)
    parser.add_argument("--factories", type=int, default=600)
    args = parser.parse_args()
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    out: dict[str, Any] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.which in ("storm", "all"):
            out["storm"] = storm(workdir / "storm", args.storm_seconds, args.factories)
        if args.which in ("pdf", "all"):
            out["pdf"] = pdf(workdir / "pdf", args.factories)
        if args.which in ("rss", "all"):
            out["rss"] = rss(workdir / "rss", args.factories, args.requests)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
