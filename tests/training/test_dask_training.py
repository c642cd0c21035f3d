"""Training on a Dask LocalCluster of 2 worker processes gives the same kind of model, close to
the in-process one: the tolerance is stated here and in docs/deploy.md."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np

from features.profile import profiles_from_frame
from features.sources import SyntheticConfig
from features.sources.synthetic import generate
from models.pyfunc import load_bundle
from models.schemas import FactoryRecommendations, RecommendOptions
from training.config import TrainConfig
from training.pipeline import run_training

#: Data-parallel LightGBM bins features from each worker's rows and sums histograms across
#: workers, so its trees differ slightly from one process's. Measured on 600 generated factories
#: (150 held out), with the generator calibrated to the real audits (a measure's effect varies
#: between plants with a log sd of 1.3, most of it unobserved, so the trees' small differences
#: show more): top-5 overlap 0.83, log tCO2e correlation 0.984, median relative tCO2e difference
#: 16% (before the calibration: 0.92, 0.998, 6.6%). The test allows somewhat more.
MIN_TOP5_OVERLAP = 0.75
MIN_LOG_CORRELATION = 0.97
MAX_MEDIAN_RELATIVE_DIFFERENCE = 0.25


def _agreement(
    a: list[FactoryRecommendations], b: list[FactoryRecommendations]
) -> tuple[float, float, float]:
    overlap, ta, tb = [], [], []
    for x, y in zip(a, b, strict=True):
        top_a = [r.measure_id for r in x.recommendations[:5]]
        top_b = [r.measure_id for r in y.recommendations[:5]]
        overlap.append(len(set(top_a) & set(top_b)) / max(1, len(top_a)))
        mine = {r.measure_id: r.tco2e_avoided for r in x.recommendations}
        for r in y.recommendations:
            if r.measure_id in mine:
                ta.append(mine[r.measure_id])
                tb.append(r.tco2e_avoided)
    va, vb = np.array(ta), np.array(tb)
    correlation = float(np.corrcoef(np.log1p(np.abs(va)), np.log1p(np.abs(vb)))[0, 1])
    relative = float(np.median(np.abs(va - vb) / np.maximum(np.abs(va), 1e-9)))
    return float(np.mean(overlap)), correlation, relative


def test_training_on_a_local_dask_cluster_matches_in_process_training(tmp_path: Path) -> None:
    base = {
        "source": "synthetic",
        "n_factories": 600,
        "seed": 0,
        "split": "none",
        "register_model": False,
    }
    plain = run_training(TrainConfig(tracking_uri=f"sqlite:///{tmp_path / 'plain.db'}", **base))
    on_dask = run_training(
        TrainConfig(
            tracking_uri=f"sqlite:///{tmp_path / 'dask.db'}",
            dask="local",
            dask_min_rows=0,
            **base,
        )
    )
    # Every booster of the bundle went through the cluster (min rows 0), none in this process.
    assert on_dask.timings["dask_boosters_distributed"] >= 10
    assert on_dask.timings["dask_boosters_local"] == 0
    assert on_dask.timings["dask_worker0_peak_rss_mb"] > 0
    assert "dask_boosters_distributed" not in plain.timings

    # The MLflow model of the Dask run loads and serves like any other.
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'plain.db'}")
    a = load_bundle(f"runs:/{plain.run_id}/model")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'dask.db'}")
    b = load_bundle(f"runs:/{on_dask.run_id}/model")
    held_out = generate(SyntheticConfig(n_factories=150, seed=7)).factories
    profiles, rejected = profiles_from_frame(held_out)
    assert not rejected
    options = RecommendOptions(top_k=10)
    overlap, correlation, relative = _agreement(
        a.bundle.recommend(profiles, options), b.bundle.recommend(profiles, options)
    )
    assert overlap >= MIN_TOP5_OVERLAP, overlap
    assert correlation >= MIN_LOG_CORRELATION, correlation
    assert relative <= MAX_MEDIAN_RELATIVE_DIFFERENCE, relative
