"""decarb-score: a table of factories scored in one process and on a Dask LocalCluster with 2
workers gives the same answers; invalid factories come back as rows with their error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from features.sources.schema import Dataset
from models.bundle import RecommendationBundle
from models.schemas import RecommendOptions
from serving.score import SCORE_COLUMNS, Partitioning, score_table


def _table(tiny_data: Dataset, n: int = 60) -> pd.DataFrame:
    frame = tiny_data.factories.head(n).drop(columns=["grid"]).copy()
    frame = frame[[c for c in frame.columns if not c.startswith("x_")]]
    bad = frame.iloc[[0]].assign(factory_id="broken", region="Atlantis")
    return pd.concat([frame, bad], ignore_index=True)


def test_dask_scoring_equals_single_process(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset
) -> None:
    frame = _table(tiny_data)
    options = RecommendOptions(top_k=5, explain="none")
    seen: list[tuple[int, int]] = []
    counted = Partitioning(size=7, progress=lambda d, t: seen.append((d, t)))
    single = score_table(frame, tiny_bundle, options, counted)
    assert seen[-1] == (9, 9)
    on_dask = score_table(frame, tiny_bundle, options, Partitioning(size=7, dask="local"))
    pd.testing.assert_frame_equal(single, on_dask)
    assert list(single.columns) == list(SCORE_COLUMNS)
    assert single["factory_id"].nunique() == 61
    broken = single[single["factory_id"] == "broken"]
    assert len(broken) == 1
    assert "region" in broken["error"].iloc[0]
    valid = single[single["error"].isna()]
    assert (valid.groupby("factory_id")["rank"].min() == 1).all()
    # Partition size does not change a factory's answer.
    other = score_table(frame, tiny_bundle, options, Partitioning(size=50))
    pd.testing.assert_frame_equal(single, other)


def test_score_cli_writes_the_answer_table(
    model_store: str, tiny_data: Dataset, tmp_path: Path, tiny_bundle: Any
) -> None:
    source = tmp_path / "factories.parquet"
    _table(tiny_data, 20).to_parquet(source, index=False)
    out = tmp_path / "scores.parquet"
    exe = shutil.which("decarb-score", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, str(source), "--out", str(out), "--top-k", "3",
                           "--tracking-uri", model_store],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    table = pd.read_parquet(out)
    assert table["factory_id"].nunique() == 21
    assert "1 invalid" in done.stdout
    assert "partition 1/1" in done.stdout
