"""Serving speed, side by side in one run: the numpy floor, our scoring in-process, our service
over HTTP (single, concurrent, batch), and MLflow's own scoring server on the same bundle.

Usage: python bench/serving.py [--factories 5000] [--requests 200] [--out bench/results]
Writes serving.json and serving.md into --out. Numbers only; nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
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

from features.applicability import applicable_matrix
from features.catalogue import Catalogue
from features.design import design_matrix
from features.profile import profiles_to_frame
from features.report import example_profile_data, load_profile
from features.sources.synthetic import SyntheticConfig, generate
from features.table import profile_table
from models.bundle import BundleConfig, RecommendationBundle
from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, log_bundle, pyfunc_input, use_store
from models.schemas import RecommendOptions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(ms: list[float]) -> dict[str, float]:
    q = np.percentile(ms, [50, 95, 99])
    return {"p50_ms": round(float(q[0]), 2), "p95_ms": round(float(q[1]), 2),
            "p99_ms": round(float(q[2]), 2), "n": len(ms)}  # fmt: skip


def _time(fn: Any, n: int) -> list[float]:
    for _ in range(min(5, n)):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {seconds} s")


def _concurrent(post: Any, clients: int, seconds: float) -> dict[str, float]:
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop:
                post(client)
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "clients": clients,
        "seconds": seconds,
        "requests_per_s": round(sum(counts) / seconds, 1),
    }


def run(factories: int, requests: int, out: Path, seconds: float = 10) -> dict[str, Any]:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "trained_on_factories": factories,
    }
    data = generate(SyntheticConfig(n_factories=factories, seed=0))
    bundle = RecommendationBundle(BundleConfig()).fit(data.factories, data.outcomes)
    profile = load_profile(None)
    options = RecommendOptions(top_k=5, explain="top")
    catalogue = Catalogue.default()

    # The floor: the same boosters on a prepared numpy matrix, no Python around them.
    frame = profile_table([profile])
    measures = [catalogue.measures[k] for k in bundle.spec_.measure_keys if k in catalogue.measures]
    measures = [m for m in measures if m.reduction_kind == "physical"]
    allowed = applicable_matrix(frame, measures)
    f_idx, m_idx = np.nonzero(allowed)
    keys = np.array([m.id for m in measures])[m_idx]
    X = design_matrix(bundle.spec_, frame, f_idx, keys, catalogue)
    ax = bundle.adoption_inputs(X, np.zeros(len(X)), np.zeros(len(X)))

    def floor() -> None:
        bundle.savings_.predict_interval(X)
        bundle.cost_.predict(X)
        if bundle.increase_ is not None:
            bundle.increase_.predict(X)
        if bundle.applicability_ is not None:
            bundle.applicability_.predict_proba(X)
        bundle.adoption_.predict_proba(ax)
        bundle.savings_.contributions(X[:5])
        bundle.adoption_.contributions(ax[:5])

    results["floor"] = _percentiles(_time(floor, requests))
    results["in_process"] = _percentiles(_time(lambda: bundle.recommend([profile], options),
                                               requests))  # fmt: skip
    no_explanations = RecommendOptions(top_k=5, explain="none")
    results["in_process_no_explanations"] = _percentiles(
        _time(lambda: bundle.recommend([profile], no_explanations), requests)
    )
    results["in_process_over_floor"] = round(
        results["in_process"]["p50_ms"] / results["floor"]["p50_ms"], 2
    )

    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{tmp}/mlflow.db"
        use_store(store, "bench")
        with mlflow.start_run():
            info = log_bundle(bundle, data.factories, Path(tmp))
        version = mlflow.register_model(info.model_uri, MODEL_NAME).version
        mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
        bindir = Path(sys.executable).parent
        # MLflow's server starts `uvicorn` by name: the environment's bin must be on PATH.
        env = {**os.environ, "MLFLOW_TRACKING_URI": store, "DECARB_AUTH_ENABLED": "false",
               "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
        body = {"profile": example_profile_data(), "options": {"top_k": 5, "explain": "top"}}

        port = _free_port()
        ours = subprocess.Popen([str(bindir / "decarb-serve"), "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            results["service_startup_s"] = round(_wait(f"{url}/readyz", ours), 2)
            results["service_rss_after_start_mb"] = _rss_mb(ours.pid)
            with httpx.Client(timeout=30) as client:
                single = _time(lambda: client.post(f"{url}/v1/recommendations", json=body),
                               requests)  # fmt: skip
            results["http_single"] = _percentiles(single)
            results["http_concurrent"] = _concurrent(
                lambda c: c.post(f"{url}/v1/recommendations", json=body), clients=4, seconds=seconds
            )
            batches = {}
            for size in (10, 50, 200):
                payload = {"factories": [{**example_profile_data(), "factory_id": f"f{i}"}
                                         for i in range(size)],
                           "options": {"top_k": 5, "explain": "top"}}  # fmt: skip
                with httpx.Client(timeout=300) as client:
                    ms = _time(lambda p=payload: client.post(f"{url}/v1/recommendations/batch",
                                                             json=p), 3)  # fmt: skip
                batches[str(size)] = round(size / (statistics.median(ms) / 1000), 1)
            results["http_batch_factories_per_s"] = batches
            results["service_rss_after_run_mb"] = _rss_mb(ours.pid)
        finally:
            ours.terminate()
            ours.wait(timeout=20)

        # The peer: MLflow's scoring server on the same registered bundle.
        port = _free_port()
        peer = subprocess.Popen(
            [str(bindir / "mlflow"), "models", "serve", "-m", f"models:/{MODEL_NAME}@champion",
             "--env-manager", "local", "-p", str(port), "-h", "127.0.0.1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            results["mlflow_startup_s"] = round(_wait(f"{url}/ping", peer), 2)
            frame_json = json.loads(pyfunc_input(profiles_to_frame([profile])).to_json(
                orient="split", index=False))  # fmt: skip
            invocation = {"dataframe_split": frame_json, "params": {"top_k": 5}}
            with httpx.Client(timeout=30) as client:
                check = client.post(f"{url}/invocations", json=invocation)
                results["mlflow_status"] = check.status_code
                peer_ms = _time(lambda: client.post(f"{url}/invocations", json=invocation),
                                requests)  # fmt: skip
            results["mlflow_http_single"] = _percentiles(peer_ms)
            results["mlflow_concurrent"] = _concurrent(
                lambda c: c.post(f"{url}/invocations", json=invocation), clients=4, seconds=seconds
            )
            results["mlflow_rss_after_run_mb"] = _rss_mb(peer.pid)
        finally:
            peer.terminate()
            peer.wait(timeout=20)
    ours_rps = results["http_concurrent"]["requests_per_s"]
    peer_rps = results["mlflow_concurrent"]["requests_per_s"]
    results["throughput_ratio_vs_mlflow"] = round(ours_rps / peer_rps, 2) if peer_rps else None
    out.mkdir(parents=True, exist_ok=True)
    (out / "serving.json").write_text(json.dumps(results, indent=2))
    (out / "serving.md").write_text(_markdown(results))
    return results


def _markdown(r: dict[str, Any]) -> str:
    def row(name: str, key: str, target: str) -> str:
        p = r.get(key, {})
        return f"| {name} | {p.get('p50_ms')} | {p.get('p95_ms')} | {p.get('p99_ms')} | {target} |"

    batch = ", ".join(f"{k}: {v}/s" for k, v in r.get("http_batch_factories_per_s", {}).items())
    return "\n".join(
        [
            f"# Serving benchmark ({r['date']}, {r['machine']})",
            "",
            f"Bundle trained on {r['trained_on_factories']:,} generated factories; one factory "
            "with top-5 explanations unless stated.",
            "",
            "| path | p50 ms | p95 ms | p99 ms | target |",
            "|---|---|---|---|---|",
            row("floor (boosters on numpy)", "floor", ""),
            row(
                "in-process recommend",
                "in_process",
                f"<= 1.3x floor (is {r['in_process_over_floor']}x)",
            ),
            row("in-process, no explanations", "in_process_no_explanations", ""),
            row("our service, HTTP", "http_single", "p50 <= 15 ms"),
            row("mlflow models serve, HTTP", "mlflow_http_single", ""),
            "",
            f"Concurrent (4 clients): ours {r['http_concurrent']['requests_per_s']} req/s, "
            f"MLflow {r['mlflow_concurrent']['requests_per_s']} req/s, ratio "
            f"{r['throughput_ratio_vs_mlflow']} (target >= 3).",
            f"Batch endpoint, factories/s with explanations: {batch} (target >= 500).",
            f"Service RSS: {r['service_rss_after_start_mb']} MB after start, "
            f"{r['service_rss_after_run_mb']} MB after the run (target <= 600 MB); "
            f"MLflow server {r['mlflow_rss_after_run_mb']} MB.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--seconds", type=float, default=10, help="concurrent phase length")
    args = parser.parse_args()
    run(args.factories, args.requests, args.out, args.seconds)
    print((args.out / "serving.md").read_text())


if __name__ == "__main__":
    main()
