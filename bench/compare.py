"""Old and new side by side: the serving speed of two versions of this project, on one machine,
in one run.

Usage: python bench/compare.py --old REF [--new REF] [--factories 3000] [--rounds 3]
       [--requests 150] [--batch 200] [--batch-calls 5] [--out bench/results]

A version is a git ref, checked out in a temporary worktree; ``--new`` defaults to this checkout
as it is (uncommitted changes included). Each version trains its own bundle with its own code on
the same generated data (same seed), writes its own request bodies (the reference factory, and a
batch of generated ones) and serves the bundle with its own ``decarb-serve`` (compiled trees on,
as deployed). Both servers run at once; the rounds alternate between them, the idle one paused
(SIGSTOP), and which goes first alternates too, so machine noise falls on both alike. In-process
figures come from a short-lived process per version and round (LightGBM predictions), alternating
the same way. A single run of ``bench/speed.py`` varies by about 10% on a shared machine; ratios
measured like this are what the speed targets of a renovation ("holds or improves") are read
from. Writes compare.json into --out and prints the table. Numbers only; nothing here is a test
assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
#: Seeds of the training data and of the batch's factories (both versions get the same).
TRAIN_SEED, BATCH_SEED = 11, 12345


# --- run inside a version's own tree (PYTHONPATH=<tree>) ---------------------------------------


def prepare(folder: Path, factories: int, batch: int) -> None:
    """Train a bundle with this version's code, register it as champion in a SQLite MLflow store
    in ``folder``, and write the request bodies."""
    import mlflow  # noqa: PLC0415  (this version's modules, imported in its own process)

    from features.profile import profiles_from_frame  # noqa: PLC0415
    from features.report import example_profile_data  # noqa: PLC0415
    from features.sources.synthetic import SyntheticConfig, generate  # noqa: PLC0415
    from models.bundle import BundleConfig, RecommendationBundle  # noqa: PLC0415
    from models.pyfunc import CHAMPION_ALIAS, MODEL_NAME, log_bundle, use_store  # noqa: PLC0415

    data = generate(SyntheticConfig(n_factories=factories, seed=TRAIN_SEED))
    bundle = RecommendationBundle(BundleConfig()).fit(data.factories, data.outcomes)
    (folder / "bundle.pkl").write_bytes(pickle.dumps(bundle))
    use_store(f"sqlite:///{folder}/mlflow.db", "compare")
    with mlflow.start_run():
        info = log_bundle(bundle, data.factories, folder)
    version = mlflow.register_model(info.model_uri, MODEL_NAME).version
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION_ALIAS, version)
    options = {"top_k": 5, "explain": "top"}
    profiles, rejected = profiles_from_frame(
        generate(SyntheticConfig(n_factories=batch, seed=BATCH_SEED)).factories
    )
    if rejected:
        raise RuntimeError(f"generated factories rejected: {rejected[:3]}")
    bodies = {
        "single": {"profile": example_profile_data(), "options": options},
        "batch": {
            "factories": [p.model_dump(mode="json", exclude_unset=True) for p in profiles],
            "options": options,
        },
    }
    (folder / "bodies.json").write_text(json.dumps(bodies))


def in_process(folder: Path, requests: int, batch_calls: int) -> None:
    """Print this version's in-process figures (LightGBM predictions) as JSON."""
    from features.profile import FactoryProfile  # noqa: PLC0415
    from models.schemas import RecommendOptions  # noqa: PLC0415

    bundle = pickle.loads((folder / "bundle.pkl").read_bytes())  # written by prepare()
    bodies = json.loads((folder / "bodies.json").read_text())
    options = RecommendOptions(**bodies["single"]["options"])
    one = [FactoryProfile.model_validate(bodies["single"]["profile"])]
    many = [FactoryProfile.model_validate(p) for p in bodies["batch"]["factories"]]
    for _ in range(10):
        bundle.recommend(one, options)
    single = _timed(lambda: bundle.recommend(one, options), requests)
    batch = _timed(lambda: bundle.recommend(many, options), batch_calls)
    print(json.dumps({
        "single_p50_ms": statistics.median(single),
        "batch_factories_per_s": len(many) / (statistics.median(batch) / 1000),
    }))  # fmt: skip


# --- the comparison -----------------------------------------------------------------------------
# The small timing, port and RSS helpers are this script's own, not bench/speed.py's: this file is
# also run inside an older version's tree (prepare, in_process above), where importing speed.py
# would import modules that version may not have.


def _timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _child(tree: Path, *args: str, timeout: float = 1800) -> str:
    """This script run with ``tree``'s code (its folder first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "MLFLOW_DISABLE_TELEMETRY": "true"}
    done = subprocess.run(
        [sys.executable, str(HERE), *args], env=env, cwd=tempfile.gettempdir(),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Side:
    """One version: its tree, its folder (bundle, store, bodies) and its server."""

    def __init__(self, name: str, ref: str | None, work: Path) -> None:
        self.name, self.ref = name, ref
        self.folder = work / name
        self.folder.mkdir()
        self.tree = ROOT
        if ref is not None:
            self.tree = work / f"{name}-tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                            str(self.tree), ref], check=True)  # fmt: skip
        self.commit = subprocess.run(
            ["git", "-C", str(self.tree), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip() + ("" if ref is not None else " (this checkout)")  # fmt: skip
        self.server: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(self.tree), "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_TRACKING_URI": f"sqlite:///{self.folder}/mlflow.db",
               "DECARB_AUTH_ENABLED": "false",
               "DECARB_COMPILED_CACHE": str(self.folder / "compiled"),
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}  # fmt: skip
        exe = Path(sys.executable).parent / "decarb-serve"
        with (self.folder / "server.log").open("wb") as log:
            self.server = subprocess.Popen(
                [str(exe), "--port", str(port)], env=env, cwd=self.folder, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    def wait_ready(self, seconds: float = 900) -> str:
        """Wait until the server has compiled its trees; their final state."""
        assert self.server is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                log = (self.folder / "server.log").read_text()[-2000:]
                raise RuntimeError(f"{self.name} server exited: {log}")
            try:
                state = str(httpx.get(f"{self.url}/v1/model", timeout=2).json()["compiled_trees"])
                if state.startswith(("ready", "failed", "off")):
                    return state
            except (httpx.TransportError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} server not ready in {seconds} s")

    def signal(self, sig: signal.Signals) -> None:
        if self.server is not None and self.server.poll() is None:
            os.kill(self.server.pid, sig)

    def rss_mb(self) -> float:
        assert self.server is not None
        for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def close(self) -> None:
        if self.server is not None:
            self.signal(signal.SIGCONT)
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.ref is not None and self.tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(self.tree)], check=False)  # fmt: skip


def _http_round(side: Side, requests: int, batch_calls: int) -> dict[str, float]:
    bodies = json.loads((side.folder / "bodies.json").read_text())
    with httpx.Client(timeout=120) as client:
        single_url = f"{side.url}/v1/recommendations"
        batch_url = f"{side.url}/v1/recommendations/batch"
        for _ in range(10):
            client.post(single_url, json=bodies["single"]).raise_for_status()
        client.post(batch_url, json=bodies["batch"]).raise_for_status()
        single = _timed(lambda: client.post(single_url, json=bodies["single"]), requests)
        batch = _timed(lambda: client.post(batch_url, json=bodies["batch"]), batch_calls)
    n = len(bodies["batch"]["factories"])
    return {
        "http_single_p50_ms": statistics.median(single),
        "http_batch_factories_per_s": n / (statistics.median(batch) / 1000),
    }


def _alternating(sides: list[Side], rounds: int, measure: Any) -> dict[str, dict[str, list]]:
    """``measure(side)`` per round and side, the order alternating; figures per side."""
    out: dict[str, dict[str, list]] = {s.name: {} for s in sides}
    for r in range(rounds):
        for side in sides if r % 2 == 0 else sides[::-1]:
            for key, value in measure(side).items():
                out[side.name].setdefault(key, []).append(round(value, 2))
    return out


def compare(old: str, new: str | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sides = [Side("old", old, work), Side("new", new, work)]
        try:
            for side in sides:
                _child(side.tree, "--prepare", str(side.folder),
                       "--factories", str(args.factories), "--batch", str(args.batch))  # fmt: skip
                side.start()
            compiled = {side.name: side.wait_ready() for side in sides}

            def over_http(side: Side) -> dict[str, float]:
                for other in sides:
                    other.signal(signal.SIGCONT if other is side else signal.SIGSTOP)
                return _http_round(side, args.requests, args.batch_calls)

            figures = _alternating(sides, args.rounds, over_http)
            for side in sides:
                side.signal(signal.SIGCONT)
                figures[side.name]["rss_after_mb"] = [side.rss_mb()]
                side.signal(signal.SIGSTOP)

            def in_own_process(side: Side) -> dict[str, float]:
                found = json.loads(_child(side.tree, "--in-process", str(side.folder),
                                          "--requests", str(args.requests),
                                          "--batch-calls", str(args.batch_calls)))  # fmt: skip
                return {f"in_process_{k}": v for k, v in found.items()}

            for name, values in _alternating(sides, args.rounds, in_own_process).items():
                figures[name].update(values)
        finally:
            for side in sides:
                side.close()
        return {
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
            "load_end": [round(v, 2) for v in os.getloadavg()],
            "trained_on_factories": args.factories,
            "batch_factories": args.batch,
            "rounds": args.rounds,
            "versions": {s.name: s.commit for s in sides},
            "compiled_trees": compiled,
            "figures": figures,
        }


#: (figure, higher is better) in the table's order.
ROWS = (
    ("http_single_p50_ms", False),
    ("http_batch_factories_per_s", True),
    ("in_process_single_p50_ms", False),
    ("in_process_batch_factories_per_s", True),
    ("rss_after_mb", False),
)


def table(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table: each figure's median over the rounds, its range, and
    new over old (above 1 is faster or larger for rates, slower or larger for times)."""
    v = result["versions"]
    lines = [
        f"old {v['old']} against new {v['new']}, {result['rounds']} alternating rounds, "
        f"bundles of {result['trained_on_factories']} generated factories",
        "",
        "| figure | old median (range) | new median (range) | new / old |",
        "|---|---|---|---|",
    ]
    for key, _higher in ROWS:
        old, new = result["figures"]["old"][key], result["figures"]["new"][key]
        mo, mn = statistics.median(old), statistics.median(new)
        lines.append(
            f"| {key} | {mo:.2f} ({min(old):.2f}-{max(old):.2f}) | "
            f"{mn:.2f} ({min(new):.2f}-{max(new):.2f}) | {mn / mo:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", help="git ref of the old version")
    parser.add_argument("--new", default=None, help="git ref (default: this checkout as it is)")
    parser.add_argument("--factories", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--batch-calls", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.prepare, args.factories, args.batch)
        return
    if args.in_process is not None:
        in_process(args.in_process, args.requests, args.batch_calls)
        return
    if not args.old:
        parser.error("--old: a git ref is required (e.g. a commit before the change)")
    result = compare(args.old, args.new, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(json.dumps(result, indent=1))
    print(table(result))


if __name__ == "__main__":
    main()
