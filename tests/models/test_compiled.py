"""Compiled trees (tl2cgen) predict what LightGBM predicts, for every component model."""

from __future__ import annotations

import copy
import os
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import tl2cgen

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.profile import profiles_from_frame
from features.sources import Dataset
from features.table import profile_table
from models.bundle import RecommendationBundle
from models.compiled import (
    compile_booster,
    compile_bundle,
    component_boosters,
    largest_difference,
    openmp_threads,
    plain_predictions,
)
from models.schemas import RecommendOptions

#: Agreement asked of compiled predictions (measured: 0.0, the same double arithmetic).
TOLERANCE = 1e-9


def test_compiled_predictions_equal_lightgbm_for_every_booster(
    tiny_bundle: RecommendationBundle, tiny_data: Dataset, tmp_path: Path
) -> None:
    bundle = copy.deepcopy(tiny_bundle)
    profiles, rejected = profiles_from_frame(tiny_data.factories.head(40))
    assert not rejected
    frame = profile_table(profiles)
    _, _, scored, _ = bundle.score_candidates(
        frame, profiles, FactorTable.default(), Catalogue.default()
    )
    X = scored.X
    X_missing = X.copy()
    X_missing[::7, ::3] = np.nan  # missing values take the trees' default branches
    # A float64 whose low 32 bits are all ones reads as missing in tl2cgen's code: such rows
    # must still get LightGBM's answer.
    X_clash = X.copy()
    X_clash[::3, -3:] = np.nextafter(1.0, 0.0)  # 0x3FEFFFFFFFFFFFFF
    options = RecommendOptions(top_k=8, explain="top")
    plain = [r.model_dump_json() for r in bundle.recommend(profiles, options)]

    report = compile_bundle(bundle, tmp_path / "cache")
    boosters = component_boosters(bundle)
    # savings (median, lower, upper), cost, side effects, applicability, adoption
    assert report.boosters == len(boosters) >= 7
    assert report.built == report.boosters
    for rows in (X, X_missing, X_clash):
        adoption_X = bundle.adoption_inputs(rows, scored.log_cost, scored.log_savings)
        differences = largest_difference(bundle, rows, adoption_X)
        assert len(differences) == report.boosters
        assert max(differences.values()) <= TOLERANCE, differences
    # The answers are the same, number for number.
    assert [r.model_dump_json() for r in bundle.recommend(profiles, options)] == plain

    # A second load finds every library in the cache; a pickled bundle carries none of them.
    again = copy.deepcopy(tiny_bundle)
    assert compile_bundle(again, tmp_path / "cache").built == 0
    restored = pickle.loads(pickle.dumps(again))
    assert not any(getattr(e, "_compiled", None) for e, _, _ in component_boosters(restored))
    plain_predictions(again)
    assert not any(getattr(e, "_compiled", None) for e, _, _ in component_boosters(again))


def test_threads_follow_openmp_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled predictions ask OpenMP for no more threads than OMP_NUM_THREADS allows (Dask's
    nanny sets it to 1 in processes that import it; tl2cgen refuses more)."""
    for value, expected in (
        ("1", 1),
        ("3,2", 3),
        ("", os.cpu_count() or 1),
        ("x", os.cpu_count() or 1),
    ):
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        assert openmp_threads() == expected


def test_one_compiler_per_booster_however_many_reload_at_once(
    tiny_bundle: RecommendationBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = threading.Lock()
    running, most, builds = [0], [0], [0]

    def slow_export(model: object, toolchain: str, libpath: str, params: object) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            builds[0] += 1
        time.sleep(0.3)  # the compiler at work
        Path(libpath).write_bytes(b"library")
        with lock:
            running[0] -= 1

    monkeypatch.setattr(tl2cgen, "export_lib", slow_export)
    booster = component_boosters(tiny_bundle)[0][2]
    results: list[tuple[Path, bool]] = []
    workers = [
        threading.Thread(target=lambda: results.append(compile_booster(booster, tmp_path)))
        for _ in range(6)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert most[0] == 1
    assert builds[0] == 1
    assert sorted(built for _, built in results) == [False] * 5 + [True]
    assert len({path for path, _ in results}) == 1
