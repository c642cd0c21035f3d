"""Accuracy against baselines on held-out factories: generated data (ground truth known) and the
real IAC tables (time split and plant-grouped split), with calibration and abatement-curve plots.

Usage: python bench/accuracy.py [--factories 5000] [--shared ../shared/data] [--out bench/results]
Writes accuracy.json and plots/<case>/*.png into --out. Every number is computed on factories no
model saw in training; the same functions as ``decarb-train`` (split, fit, evaluate, plots) are
used, without the MLflow bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from models.bundle import RecommendationBundle
from training.config import TrainConfig
from training.evaluate import evaluate
from training.pipeline import load_configured
from training.plots import save_plots
from training.split import split_by_factory

IAC_TIME_HOLDOUT_FROM = 2016


def _iac_paths(shared: Path) -> dict[str, Any]:
    return {
        "path": str(shared / "iac-recc-primary-stream-2025"),
        "assess_path": str(shared / "iac-assess-itac2026/assess.csv.gz"),
        "eia_state_factors": str(
            shared / "eia-state-electric-co2-1990-2024/state_carbon_intensity_derived.csv"
        ),
    }


def run_case(name: str, config: TrainConfig, out: Path) -> dict[str, Any]:
    """Load, split, fit on the training side, evaluate on the test side, save plots."""
    started = time.perf_counter()
    data = load_configured(config)
    split = split_by_factory(data, config)
    t0 = time.perf_counter()
    bundle = RecommendationBundle(config.bundle_config()).fit(
        split.train_factories, split.train_outcomes
    )
    fit_s = time.perf_counter() - t0
    metrics = evaluate(
        bundle,
        split.train_factories,
        split.train_outcomes,
        split.test_factories,
        split.test_outcomes,
        data.truth,
    )
    plot_dir = out / "plots" / name
    shutil.rmtree(plot_dir, ignore_errors=True)  # no stale plots from earlier runs
    plot_dir.mkdir(parents=True, exist_ok=True)
    plots = [str(p.relative_to(out)) for p in save_plots(bundle, split, plot_dir)]
    return {
        "case": name,
        "source": config.source,
        "split": split.description,
        "train_factories": len(split.train_factories),
        "train_outcomes": len(split.train_outcomes),
        "test_factories": len(split.test_factories),
        "test_outcomes": len(split.test_outcomes),
        "settings": config.bundle_config().__dict__,
        "fit_s": round(fit_s, 2),
        "total_s": round(time.perf_counter() - started, 2),
        "metrics": metrics,
        "plots": plots,
    }


def run(factories: int, shared: Path | None, out: Path) -> dict[str, Any]:
    cases: list[tuple[str, TrainConfig]] = [
        ("generated", TrainConfig(source="synthetic", n_factories=factories, seed=0)),
    ]
    if shared is not None:
        paths = _iac_paths(shared)
        cases += [
            (
                "iac_time",
                TrainConfig(source="iac", time_holdout_from_year=IAC_TIME_HOLDOUT_FROM, **paths),
            ),
            ("iac_plant", TrainConfig(source="iac", split="random", **paths)),
        ]
    results = {"date": time.strftime("%Y-%m-%d"), "cases": []}
    for name, config in cases:
        print(f"accuracy: {name} ...", flush=True)
        case = run_case(name, config, out)
        print(f"accuracy: {name} done in {case['total_s']} s", flush=True)
        results["cases"].append(case)
    out.mkdir(parents=True, exist_ok=True)
    (out / "accuracy.json").write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--factories", type=int, default=5000)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--skip-iac", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    shared = None if args.skip_iac or not args.shared.is_dir() else args.shared
    if shared is None and not args.skip_iac:
        print(f"accuracy: {args.shared} not found: real IAC cases skipped")
    run(args.factories, shared, args.out)


if __name__ == "__main__":
    main()
