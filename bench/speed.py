"""Serving speed, side by side in one run: the numpy floor, our scoring in-process, our service
over HTTP (single, concurrent, batch), and MLflow's own scoring server on the same bundle.

Usage: python bench/speed.py [--factories 5000] [--requests 200] [--out bench/results]
Writes serving.json into --out (bench/summary.py turns it into docs). Numbers only; nothing
here is a test assertion.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import http.client
import json
import os
import platform
import pstats
import signal
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

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.profile import FactoryProfile, profiles_from_frame, profiles_to_frame
from features.report import example_profile_data, load_profile
from features.sources.synthetic import SyntheticConfig, generate
from features.table import profile_table
from models.bundle import BundleConfig, RecommendationBundle
from models.compiled import compile_bundle
from models.pyfunc import (
    CHAMPION_ALIAS,
    CHAMPION_URI,
    MODEL_NAME,
    log_bundle,
    pyfunc_input,
    use_store,
)
from models.schemas import RecommendOptions

BATCH_SIZES = (10, 50, 200)
#: MLflow's scoring server is timed at these factories per request, beside our batch endpoint.
PEER_BATCH_SIZES = (1, 50, 200)
#: Every batch figure: this many timed calls, repeated this many times (min/median/max of the
#: repeats' factories per second).
BATCH_CALLS, REPEATS = 20, 3


def _load() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return [round(v, 2) for v in os.getloadavg()]


def _rate_repeats(fn: Any, factories: int, calls: int = BATCH_CALLS) -> dict[str, float]:
    """Factories per second of ``fn`` (one call = ``factories`` factories): ``REPEATS`` runs of
    ``calls`` timed calls, each run's median call; min, median and max over the runs."""
    rates = []
    for _ in range(REPEATS):
        ms = _time(fn, calls)
        rates.append(factories / (statistics.median(ms) / 1000))
    return {
        "min": round(min(rates), 1),
        "median": round(statistics.median(rates), 1),
        "max": round(max(rates), 1),
        "calls": calls,
        "repeats": REPEATS,
    }


def _distinct_profiles(n: int) -> list[FactoryProfile]:
    factories = generate(SyntheticConfig(n_factories=n, seed=12345)).factories
    profiles, rejected = profiles_from_frame(factories)
    if rejected:
        raise RuntimeError(f"generated factory rows rejected: {rejected[:3]}")
    return profiles


#: Compiled kernels of our own (numba): cProfile sees them as calls of these Python functions.
_KERNELS = ("_explain_parallel", "_explain_serial", "_stack_kernel", "_leaf_table")


def _category(filename: str, name: str) -> str:
    if name in _KERNELS:
        return "native kernels (exact SHAP, stacking; numba)"
    if "tl2cgen" in filename:
        return "compiled trees (tl2cgen predict)"
    if "lightgbm" in filename:
        return "LightGBM (predict, pred_contrib)"
    if "pydantic" in filename or "pydantic_core" in name:
        return "pydantic (validation, result objects)"
    if "numpy" in filename or "numpy" in name:
        return "numpy"
    for package in ("features", "models", "serving"):
        if f"/{package}/" in filename:
            return "own Python (rules, design matrix, ranking, assembly)"
    return "other (built-ins, C calls)"


def _profile(fn: Any, n: int) -> dict[str, Any]:
    """cProfile of ``n`` calls: own-time shares by category and the top functions.

    The profiler slows Python code more than native code, so Python shares here are upper bounds.
    """
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())
    by_category: dict[str, float] = {}
    top = []
    for (filename, line, name), (_cc, calls, tottime, _ct, _callers) in stats.items():
        category = _category(filename, name)
        by_category[category] = by_category.get(category, 0.0) + tottime
        top.append((tottime, f"{Path(filename).name}:{line}({name})", calls))
    top.sort(reverse=True)
    return {
        "calls": n,
        "profiled_ms_per_call": round(total / n * 1000, 2),
        "share_by_category": {
            k: round(v / total, 3) for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
        },
        "top_functions": [
            {"function": f, "share": round(t / total, 3), "calls_per_call": round(c / n, 1)}
            for t, f, c in top[:8]
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(ms: list[float]) -> dict[str, float]:
    q = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": round(float(q[0]), 2),
        "p95_ms": round(float(q[1]), 2),
        "p99_ms": round(float(q[2]), 2),
        "n": len(ms),
    }


def _time(fn: Any, n: int) -> list[float]:
    for _ in range(min(5, n)):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


#: The idle time before each call of the "after idle" figures: about what a worker thread waits
#: between two requests of one client.
IDLE_GAP_S = 0.02


def _after_idle(
    functions: dict[str, Any], n: int, gap: float = IDLE_GAP_S
) -> dict[str, list[float]]:
    """``n`` timed calls of each function, each call after ``gap`` seconds asleep (not timed),
    the functions taking turns call by call. A service's request finds its thread idle since
    the last one; on some machines the first milliseconds after idling run much slower than
    back-to-back calls (docs/benchmarks.md)."""
    out: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(n):
        for name, fn in functions.items():
            time.sleep(gap)
            t = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - t) * 1000)
    return out


def _interleaved(
    functions: dict[str, Any], n: int, block: int = 20, before: dict[str, Any] | None = None
) -> dict[str, list[float]]:
    """``n`` timed calls of each function, in alternating blocks of ``block`` calls: slow drift
    of the machine hits every function alike, while one server's after-work (or cache
    eviction) rarely lands inside the other's measurements."""
    for name, fn in functions.items():
        if before and name in before:
            before[name]()
        for _ in range(5):
            fn()
    out: dict[str, list[float]] = {name: [] for name in functions}
    while any(len(ms) < n for ms in out.values()):
        for name, fn in functions.items():
            if before and name in before:
                before[name]()
            for _ in range(min(block, n - len(out[name]))):
                t = time.perf_counter()
                fn()
                out[name].append((time.perf_counter() - t) * 1000)
    return out


def _server_mean_ms(client: httpx.Client, url: str, route: str, before: str) -> float:
    """Mean server-side time of ``route`` since the /metrics text ``before`` (the service's own
    latency histogram: routing, validation, scoring and serialisation, no transport)."""

    def read(text: str) -> tuple[float, float]:
        values = {}
        for line in text.splitlines():
            for kind in ("sum", "count"):
                if line.startswith(f'decarb_request_seconds_{kind}{{route="{route}"}}'):
                    values[kind] = float(line.split()[-1])
        return values.get("sum", 0.0), values.get("count", 0.0)

    s0, c0 = read(before)
    s1, c1 = read(client.get(f"{url}/metrics").text)
    return round((s1 - s0) / (c1 - c0) * 1000, 2) if c1 > c0 else float("nan")


def _ranking(result: dict[str, Any]) -> list[str]:
    return [r["measure_id"] for r in result["recommendations"]]


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


def _wait_compiled(url: str, seconds: float = 600) -> str:
    """Wait until the service says its trees are compiled (or failed); its final state."""
    started = time.monotonic()
    state = ""
    while time.monotonic() - started < seconds:
        state = httpx.get(f"{url}/v1/model", timeout=5).json()["compiled_trees"]
        if state.startswith(("ready", "failed", "off")):
            return str(state)
        time.sleep(0.5)
    return f"not ready after {seconds} s: {state}"


def _concurrent(post: Any, clients: int, seconds: float) -> dict[str, float]:
    """Requests per second of ``clients`` threads posting back to back for ``seconds``."""
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


def run(
    factories: int, requests: int, out: Path, seconds: float = 10, batch_calls: int = BATCH_CALLS
) -> dict[str, Any]:
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

    # The floor: the least model work for the same answer, on prepared numpy matrices, no
    # Python around it: every candidate's median savings, side effect, cost and adoption; the
    # interval and recommendation probability of the rows shown; SHAP of the 5 explained rows.
    frame = profile_table([profile])
    _, _, scored, _ = bundle.score_candidates(frame, [profile], FactorTable.default(), catalogue)
    X = scored.X
    ax = bundle.adoption_inputs(X, np.zeros(len(X)), np.zeros(len(X)))
    (answer,) = bundle.recommend([profile], options)
    shown = (
        len(answer.recommendations)
        + len(answer.emission_increases)
        + len(answer.not_enough_evidence)
    )

    def floor_of(b: RecommendationBundle, lightgbm_shap: bool) -> Any:
        def predict() -> None:
            b.savings_.predict(X)
            b.cost_.predict(X)
            if b.side_ is not None:
                b.side_.predict(X)
            b.adoption_.predict_proba(ax)
            b.savings_.predict_interval(X[:shown])
            if b.applicability_ is not None:
                b.applicability_.predict_proba(X[:shown])

        def explain() -> None:
            if lightgbm_shap:
                b.savings_.lightgbm_contributions("median_", X[:5])
                b.adoption_.lightgbm_contributions("booster_", ax[:5])
            else:
                b.savings_.contributions(X[:5])
                b.adoption_.contributions(ax[:5])

        def both() -> None:
            predict()
            explain()

        return predict, explain, both

    # LightGBM's own predictions and SHAP (pred_contrib), the reference.
    floor_predict, floor_explain, floor = floor_of(bundle, lightgbm_shap=True)
    # The fastest exact implementation measured here: compiled trees (tl2cgen; equal
    # predictions) and models.treeshap (equal SHAP values).
    compiled = copy.deepcopy(bundle)
    with tempfile.TemporaryDirectory() as cache:
        report = compile_bundle(compiled, Path(cache))
        compiled.prepare()
        bundle.prepare()
        results["compile_s"] = report.seconds
        results["compiled_boosters"] = report.boosters
        floor_compiled_predict, floor_fast_explain, floor_compiled = floor_of(
            compiled, lightgbm_shap=False
        )
        results["rows_shown"] = shown

        results["candidates"] = len(X)
        no_explanations = RecommendOptions(top_k=5, explain="none")
        results["load_in_process"] = {"start": _load()}
        # Round-robin, so machine noise hits every path alike and the ratios hold.
        timed = _interleaved(
            {
                "floor": floor,
                "floor_predict_only": floor_predict,
                "floor_explain_only": floor_explain,
                "floor_compiled": floor_compiled,
                "floor_compiled_predict_only": floor_compiled_predict,
                "floor_fast_explain_only": floor_fast_explain,
                "in_process": lambda: bundle.recommend([profile], options),
                "in_process_compiled": lambda: compiled.recommend([profile], options),
                "in_process_no_explanations": lambda: bundle.recommend([profile], no_explanations),
            },
            requests,
        )
        results.update({name: _percentiles(ms) for name, ms in timed.items()})
        idle = _after_idle(
            {
                "floor_compiled_after_idle": floor_compiled,
                "in_process_compiled_after_idle": lambda: compiled.recommend([profile], options),
            },
            max(requests // 2, 20),
        )
        results.update({name: _percentiles(ms) for name, ms in idle.items()})
        results["idle_gap_ms"] = IDLE_GAP_S * 1000
        results["in_process_over_floor"] = round(
            results["in_process"]["p50_ms"] / results["floor"]["p50_ms"], 2
        )
        results["in_process_compiled_over_compiled_floor"] = round(
            results["in_process_compiled"]["p50_ms"] / results["floor_compiled"]["p50_ms"], 2
        )
        # Distinct factories for the batch measurements (a seed the bundle was not trained on).
        batch_profiles = _distinct_profiles(max(BATCH_SIZES))
        results["in_process_batch"] = {
            "plain": _rate_repeats(lambda: bundle.recommend(batch_profiles, options),
                                   len(batch_profiles), calls=batch_calls),
            "compiled": _rate_repeats(lambda: compiled.recommend(batch_profiles, options),
                                      len(batch_profiles), calls=batch_calls),
        }  # fmt: skip
        results["in_process_batch_factories_per_s"] = results["in_process_batch"]["compiled"][
            "median"
        ]
        results["load_in_process"]["end"] = _load()
        results["profile_single"] = _profile(lambda: compiled.recommend([profile], options), 100)
        results["profile_batch"] = _profile(lambda: compiled.recommend(batch_profiles, options), 1)

    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{tmp}/mlflow.db"
        use_store(store, "bench")
        with mlflow.start_run():
            info = log_bundle(bundle, data.factories, Path(tmp))
        version = mlflow.register_model(info.model_uri, MODEL_NAME).version
        mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
        bindir = Path(sys.executable).parent
        # MLflow's server starts `uvicorn` by name: the environment's bin must be on PATH.
        # Both servers get the same environment, including the OpenMP wait policy our service
        # sets for itself (serving/__init__.py), so the peer is not slowed by spinning threads.
        env = {**os.environ, "MLFLOW_TRACKING_URI": store, "DECARB_AUTH_ENABLED": "false",
               "DECARB_COMPILED_CACHE": str(Path(tmp) / "compiled"),
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
               "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
        body = {"profile": example_profile_data(), "options": {"top_k": 5, "explain": "top"}}
        frame_json = json.loads(
            pyfunc_input(profiles_to_frame([profile])).to_json(orient="split", index=False)
        )
        invocation = {"dataframe_split": frame_json, "params": {"top_k": 5, "explain": "top"}}

        port, peer_port = _free_port(), _free_port()
        ours = subprocess.Popen([str(bindir / "decarb-serve"), "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        # The peer: MLflow's scoring server on the same registered bundle.
        peer = subprocess.Popen(
            [str(bindir / "mlflow"), "models", "serve", "-m", CHAMPION_URI,
             "--env-manager", "local", "-p", str(peer_port), "-h", "127.0.0.1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer_port}"
            results["service_startup_s"] = round(_wait(f"{url}/readyz", ours), 2)
            results["service_compiled_trees"] = _wait_compiled(url)
            results["service_rss_after_start_mb"] = _rss_mb(ours.pid)
            results["mlflow_startup_s"] = round(_wait(f"{peer_url}/ping", peer), 2)

            # Only the server being measured runs; the other is paused (SIGSTOP), so neither's
            # background work lands in the other's numbers.
            def only(active: subprocess.Popen[bytes]) -> None:
                for process in (ours, peer):
                    os.kill(process.pid, signal.SIGCONT if process is active else signal.SIGSTOP)

            def ours_post(client: httpx.Client) -> httpx.Response:
                return client.post(f"{url}/v1/recommendations", json=body)

            def peer_post(client: httpx.Client) -> httpx.Response:
                return client.post(f"{peer_url}/invocations", json=invocation)

            # The same request from the standard library's keep-alive client: what the server
            # takes without httpx's own per-request work (about 0.5 ms on this machine).
            raw_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            raw_body = json.dumps(body).encode()

            def raw_post() -> None:
                raw_connection.request(
                    "POST",
                    "/v1/recommendations",
                    body=raw_body,
                    headers={"Content-Type": "application/json"},
                )
                response = raw_connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"POST /v1/recommendations: {response.status}")

            with httpx.Client(timeout=30) as client:
                only(ours)
                for _ in range(10):  # first requests build caches
                    ours_post(client)
                only(peer)
                theirs = peer_post(client)
                only(ours)
                mine = ours_post(client)
                results["mlflow_status"] = theirs.status_code
                results["same_ranking_as_mlflow"] = _ranking(mine.json()["result"]) == _ranking(
                    json.loads(theirs.json()["predictions"][0]["result"])
                )
                results["load_http"] = {"start": _load()}
                # In-process calls interleaved with the HTTP ones: HTTP overhead from the same
                # stretch of time, not from two phases of the run.
                timed = _interleaved(
                    {"http_single": lambda: ours_post(client),
                     "http_single_raw_client": raw_post,
                     "in_process_beside_http": lambda: compiled.recommend([profile], options),
                     "mlflow_http_single": lambda: peer_post(client)},
                    requests,
                    before={"http_single": lambda: only(ours),
                            "http_single_raw_client": lambda: only(ours),
                            "in_process_beside_http": lambda: only(ours),
                            "mlflow_http_single": lambda: only(peer)},
                )  # fmt: skip
                only(ours)
                # Server-side time from the service's own histogram, over a stretch with no
                # pauses (a pause right after a response would count in that request's time).
                before = client.get(f"{url}/metrics").text
                alone = _time(lambda: ours_post(client), requests // 2)
                results["http_single_unpaused"] = _percentiles(alone)
                results["http_single_server_side_mean_ms"] = _server_mean_ms(
                    client, url, "/v1/recommendations", before
                )
                results["http_healthz"] = _percentiles(
                    _time(lambda: client.get(f"{url}/healthz"), requests)
                )
            results.update({name: _percentiles(ms) for name, ms in timed.items()})
            # Alternating windows of 4 concurrent clients, half the time each, twice.
            rates: dict[str, list[float]] = {"ours": [], "peer": []}
            for _ in range(2):
                only(ours)
                rates["ours"].append(_concurrent(ours_post, 4, seconds / 2)["requests_per_s"])
                only(peer)
                rates["peer"].append(_concurrent(peer_post, 4, seconds / 2)["requests_per_s"])
            only(ours)
            for name, key in (("ours", "http_concurrent"), ("peer", "mlflow_concurrent")):
                rate = round(statistics.mean(rates[name]), 1)
                results[key] = {"clients": 4, "seconds": seconds, "requests_per_s": rate}
            results["load_http"]["end"] = _load()
            batches: dict[str, dict[str, float]] = {}
            peer_batches: dict[str, dict[str, float]] = {}
            raw = [p.model_dump(mode="json") for p in batch_profiles]
            results["load_batch"] = {"start": _load()}
            with httpx.Client(timeout=600) as client:
                for size in BATCH_SIZES:
                    only(ours)
                    payload = {"factories": raw[:size], "options": {"top_k": 5, "explain": "top"}}
                    batches[str(size)] = _rate_repeats(
                        lambda p=payload: client.post(f"{url}/v1/recommendations/batch", json=p),
                        size,
                        batch_calls,
                    )
                for size in PEER_BATCH_SIZES:
                    rows = json.loads(
                        pyfunc_input(profiles_to_frame(batch_profiles[:size])).to_json(
                            orient="split", index=False
                        )
                    )
                    call = {"dataframe_split": rows, "params": {"top_k": 5, "explain": "top"}}
                    only(peer)
                    peer_batches[str(size)] = _rate_repeats(
                        lambda c=call: client.post(f"{peer_url}/invocations", json=c),
                        size,
                        batch_calls,
                    )
                only(ours)
            results["load_batch"]["end"] = _load()
            results["http_batch"] = batches
            results["mlflow_batch"] = peer_batches
            results["http_batch_factories_per_s"] = {k: v["median"] for k, v in batches.items()}
            results["service_rss_after_run_mb"] = _rss_mb(ours.pid)
            results["mlflow_rss_after_run_mb"] = _rss_mb(peer.pid)
        finally:
            for process in (ours, peer):
                os.kill(process.pid, signal.SIGCONT)
                process.terminate()
                process.wait(timeout=20)
    ours_rps = results["http_concurrent"]["requests_per_s"]
    peer_rps = results["mlflow_concurrent"]["requests_per_s"]
    results["throughput_ratio_vs_mlflow"] = round(ours_rps / peer_rps, 2) if peer_rps else None
    out.mkdir(parents=True, exist_ok=True)
    (out / "serving.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--seconds", type=float, default=10, help="concurrent phase length")
    parser.add_argument(
        "--batch-calls", type=int, default=BATCH_CALLS, help="timed calls per batch figure"
    )
    args = parser.parse_args()
    r = run(args.factories, args.requests, args.out, args.seconds, args.batch_calls)
    print(json.dumps({k: v for k, v in r.items() if not k.startswith("profile_")}, indent=1))


if __name__ == "__main__":
    main()
