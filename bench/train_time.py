"""Training time (and peak memory) of the bundle on generated data and on the real IAC tables.

Usage: python bench/train_time.py [--sizes 1000 5000] [--dask-sizes 100000]
                                  [--shared ../shared/data] [--json out.json]
Each case runs in its own subprocess so its peak RSS is its own. A Dask case trains the same
bundle with its boosters on a LocalCluster of 2 worker processes (1 thread each) and reports the
driver's peak and each worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from features.accounting.factors import FactorTable
from features.sources import SyntheticConfig, load_dataset
from models.bundle import RecommendationBundle
from models.cluster import DaskTrainer, dask_client
from models.estimators import trained_with


def _case(source: str, size: int, shared: str) -> dict[str, object]:
    t0 = time.perf_counter()
    if source in ("synthetic", "synthetic-dask"):
        data = load_dataset("synthetic", synthetic=SyntheticConfig(n_factories=size, seed=0))
    else:
        root = Path(shared)
        data = load_dataset(
            "iac",
            root / "iac-recc-primary-stream-2025",
            assess_path=root / "iac-assess-itac2026/assess.csv.gz",
            eia_state_factors=root
            / "eia-state-electric-co2-1990-2024/state_carbon_intensity_derived.csv",
        )
    load_s = time.perf_counter() - t0
    workers: dict[str, float] = {}
    boosters = ""
    if source == "synthetic-dask":
        with dask_client("local") as client:
            trainer = DaskTrainer(client)
            t0 = time.perf_counter()
            with trained_with(trainer):
                RecommendationBundle().fit(
                    data.factories, data.outcomes, table=FactorTable.default()
                )
            fit_s = time.perf_counter() - t0
            workers = trainer.worker_peak_rss_mb()
            boosters = f"{trainer.distributed} on the cluster, {trainer.local} in the driver"
    else:
        t0 = time.perf_counter()
        RecommendationBundle().fit(data.factories, data.outcomes, table=FactorTable.default())
        fit_s = time.perf_counter() - t0
    return {
        "source": source,
        "factories": len(data.factories),
        "outcomes": len(data.outcomes),
        "load_s": round(load_s, 2),
        "fit_s": round(fit_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_peak_rss_mb": [round(v, 1) for _, v in sorted(workers.items())],
        # OpenMP's wait policy changes LightGBM's speed under contention (../shared/STACK.md).
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset (the OpenMP default)"),
        "boosters": boosters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--shared", default="../shared/data")
    parser.add_argument("--dask-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--skip-iac", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case[0], int(args.case[1]), args.shared)))
        return
    cases = [("synthetic", n) for n in args.sizes]
    cases += [("synthetic-dask", n) for n in args.dask_sizes]
    if not args.skip_iac and Path(args.shared).is_dir():
        cases.append(("iac", 0))
    results = []
    print(f"machine: {platform.machine()}, {platform.python_version()}, default bundle settings")
    print(
        f"{'source':14s} {'factories':>10s} {'outcomes':>10s} {'load s':>8s} {'fit s':>8s} "
        f"{'peak MB':>8s}"
    )
    for source, size in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--case", source, str(size), "--shared", args.shared],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"{r['source']:14s} {r['factories']:>10,} {r['outcomes']:>10,} {r['load_s']:>8} "
            f"{r['fit_s']:>8} {r['peak_rss_mb']:>8} {r['worker_peak_rss_mb'] or ''}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
