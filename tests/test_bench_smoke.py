"""Benchmark scripts run (tiny sizes); their numbers are printed, never asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_train_time_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "train.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/train_time.py"), "--sizes", "200", "--skip-iac",
         "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "synthetic" in result.stdout
    assert out.exists()


def test_serving_benchmark_smoke(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/serving.py"), "--factories", "300", "--requests",
         "5", "--seconds", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "serving.json").exists()
    assert "mlflow models serve" in (tmp_path / "serving.md").read_text()
