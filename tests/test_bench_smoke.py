"""Benchmark scripts run end to end on tiny sizes, and the summary is written from their results.
Their numbers are printed and documented, never asserted. Marked slow (about 3-6 minutes):
`make bench` runs it first, before the benchmarks at their real sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: int = 600) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, check=False,
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_benchmarks_and_summary_smoke(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    out = _run(
        "bench/train_time.py",
        "--sizes",
        "200",
        "--dask-sizes",
        "300",
        "--skip-iac",
        "--json",
        str(results / "train_time.json"),
    )
    assert "synthetic" in out
    cases = json.loads((results / "train_time.json").read_text())
    assert [c["source"] for c in cases] == ["synthetic", "synthetic-dask"]
    assert len(cases[1]["worker_peak_rss_mb"]) == 2
    _run(
        "bench/speed.py",
        "--factories",
        "300",
        "--requests",
        "5",
        "--seconds",
        "1",
        "--batch-calls",
        "1",
        "--out",
        str(results),
    )
    serving = json.loads((results / "serving.json").read_text())
    assert serving["mlflow_status"] == 200
    assert serving["same_ranking_as_mlflow"] is True  # the peer really did the same work
    assert set(serving["http_batch_factories_per_s"]) == {"10", "50", "200"}
    assert set(serving["mlflow_batch"]) == {"1", "50", "200"}
    assert serving["service_compiled_trees"].startswith("ready")
    assert serving["floor_compiled"]["p50_ms"] > 0
    assert serving["profile_batch"]["share_by_category"]
    _run("bench/accuracy.py", "--factories", "400", "--skip-iac", "--out", str(results))
    accuracy = json.loads((results / "accuracy.json").read_text())
    assert [c["case"] for c in accuracy["cases"]] == ["generated"]
    assert "model_tco2e.hit_at_5" in accuracy["cases"][0]["metrics"]

    _run(
        "bench/load.py",
        "--seconds",
        "1",
        "--factories",
        "300",
        "--kill-factories",
        "800",
        "--out",
        str(results),
    )
    load = json.loads((results / "load.json").read_text())
    assert [row["clients"] for row in load["load"]] == [8, 32, 128]
    assert load["kill_training"]["killed_run_status_after_next_start"] == "FAILED"

    _run(
        "bench/scale.py",
        "--score-factories",
        "60",
        "--posts",
        "5",
        "--train-factories",
        "300",
        "--out",
        str(results),
    )
    scale = json.loads((results / "scale.json").read_text())
    assert scale["outcomes"]["sqlite"]["failed"] == 0
    assert scale["outcomes"]["sqlite"]["replay_status"] == 200
    assert scale["outcomes"]["postgresql"]["replay_status"] == 200
    assert (
        scale["scoring"]["single_process"]["rows"]
        == scale["scoring"]["dask_local_2_workers"]["rows"]
    )

    doc = tmp_path / "docs" / "benchmarks.md"
    _run("bench/summary.py", "--results", str(results), "--doc", str(doc))
    text = doc.read_text()
    for heading in ("## Serving speed", "### Against the targets", "### Where the time goes",
                    "## Training time", "## Accuracy on held-out factories",
                    "## Load and faults", "## Outcomes and scale-out"):  # fmt: skip
        assert heading in text
    assert "mlflow models serve" in text
    images = list((doc.parent / "img" / "benchmarks" / "generated").glob("*.png"))
    assert images, "plots are copied next to the summary"
    for image in images:
        assert f"img/benchmarks/generated/{image.name}" in text


@pytest.mark.slow
def test_compare_serves_two_versions_side_by_side(tmp_path: Path) -> None:
    # HEAD against this checkout: two worktrees' own bundles and servers, alternating rounds.
    out = _run(
        "bench/compare.py", "--old", "HEAD", "--factories", "300", "--rounds", "2",
        "--requests", "5", "--batch", "10", "--batch-calls", "1", "--out", str(tmp_path),
    )  # fmt: skip
    result = json.loads((tmp_path / "compare.json").read_text())
    assert result["compiled_trees"]["old"].startswith("ready")
    assert result["compiled_trees"]["new"].startswith("ready")
    for side in ("old", "new"):
        figures = result["figures"][side]
        assert len(figures["http_single_p50_ms"]) == 2
        assert len(figures["in_process_batch_factories_per_s"]) == 2
        assert all(v > 0 for values in figures.values() for v in values)
    assert "| http_single_p50_ms |" in out
    # The old side's worktree is removed afterwards.
    listed = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    assert "old-tree" not in listed
