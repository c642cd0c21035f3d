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
