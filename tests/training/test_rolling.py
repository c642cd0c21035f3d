from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.sources import SyntheticConfig, load_dataset
from models.bundle import BundleConfig, RecommendationBundle
from training.rolling import DOC_END, DOC_START, losses, markdown, rolling_origin, write_doc


def test_rolling_origin_trains_on_the_past_and_tests_each_later_year_alone() -> None:
    data = load_dataset("world2", synthetic=SyntheticConfig(n_factories=400, seed=3))
    seen: list[tuple[int, int]] = []

    def fit(factories: pd.DataFrame, outcomes: pd.DataFrame) -> RecommendationBundle:
        years = pd.to_numeric(factories["reporting_year"]).to_numpy()
        seen.append((int(years.max()), len(factories)))
        config = BundleConfig(n_estimators=20, num_leaves=7, min_child_samples=10)
        return RecommendationBundle(config).fit(factories, outcomes)

    table = rolling_origin(data, [2016, 2019], horizon=2, fit=fit, min_year_outcomes=20)
    # Each fit saw only the years up to its origin.
    assert [year for year, _ in seen] == [2016, 2019]
    assert seen[0][1] < seen[1][1]
    assert list(zip(table["origin"], table["test_year"], strict=True)) == [
        (2016, 2017),
        (2016, 2018),
        (2019, 2020),
        (2019, 2021),
    ]
    counts = data.outcomes.merge(data.factories[["factory_id", "reporting_year"]])
    per_year = counts.groupby("reporting_year").size()
    assert table["n_outcomes"].tolist() == [int(per_year[y]) for y in table["test_year"]]
    shown = ("adoption_roc_auc", "baseline_logistic_served.adoption_roc_auc", "savings_r2_log",
             "baseline_lightgbm_raw.savings_r2_log", "baseline_measure_sector_median.cost_r2_log",
             "savings_interval_coverage")  # fmt: skip
    for name in shown:
        assert np.isfinite(table[name]).all(), name
    text = markdown(table, "world2")
    assert text.count("\n| 2016 | 2017 |") == 1
    assert "logistic served" in text


def test_rolling_refuses_an_origin_before_the_data() -> None:
    data = load_dataset("world2", synthetic=SyntheticConfig(n_factories=100, seed=3))
    with pytest.raises(ValueError, match="origin 1990"):
        rolling_origin(data, [1990], 2, fit=lambda f, o: RecommendationBundle())


def test_losses_name_the_year_metric_and_baseline() -> None:
    table = pd.DataFrame(
        [
            {"origin": 2010, "test_year": 2011, "adoption_roc_auc": 0.60,
             "baseline_measure_rate.adoption_roc_auc": 0.55,
             "baseline_logistic_served.adoption_roc_auc": 0.58},
            {"origin": 2010, "test_year": 2012, "adoption_roc_auc": 0.56,
             "baseline_measure_rate.adoption_roc_auc": 0.55,
             "baseline_logistic_served.adoption_roc_auc": 0.58},
        ]
    )  # fmt: skip
    assert losses(table) == [
        "origin 2010, 2012: adoption_roc_auc 0.560 < baseline_logistic_served.adoption_roc_auc "
        "0.580"
    ]


def test_the_doc_block_is_replaced_not_repeated(tmp_path: Path) -> None:
    doc = tmp_path / "evaluation.md"
    doc.write_text("# Evaluation\n\nkept\n", encoding="utf-8")
    write_doc(doc, "first\n")
    write_doc(doc, "second\n")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Evaluation\n\nkept\n")
    assert text.count(DOC_START) == 1
    assert text.count(DOC_END) == 1
    assert "second" in text
    assert "first" not in text


def test_auc_standard_error_by_hand() -> None:
    from training.evaluate import auc_standard_error  # noqa: PLC0415

    # Hanley & McNeil (1982) eq. 2 for AUC 0.8 with 50 positives and 50 negatives:
    # Q1 = 0.8 / 1.2 = 0.6667, Q2 = 2 * 0.64 / 1.8 = 0.7111,
    # var = (0.16 + 49 * (0.6667 - 0.64) + 49 * (0.7111 - 0.64)) / 2500 = 0.001980, SE 0.0445.
    assert auc_standard_error(0.8, 50, 50) == pytest.approx(0.0445, abs=5e-4)
    assert np.isnan(auc_standard_error(0.8, 0, 10))


def test_the_command_prints_the_table_writes_json_and_the_doc(tmp_path: Path) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from training.rolling import app  # noqa: PLC0415

    config = tmp_path / "config.yaml"
    config.write_text(
        "n_factories: 300\nseed: 3\nn_estimators: 20\nnum_leaves: 7\nmin_child_samples: 10\n",
        encoding="utf-8",
    )
    doc = tmp_path / "evaluation.md"
    out = tmp_path / "rolling.json"
    result = CliRunner().invoke(
        app,
        ["--source", "world2", "--config", str(config), "--origins", "2018", "--horizon", "1",
         "--min-year-outcomes", "20", "--json", str(out), "--doc", str(doc)],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert "| 2018 | 2019 |" in result.output
    # Exit 1 exactly when a loss to a baseline is printed.
    assert (result.exit_code == 1) == ("loses:" in result.output)
    rows = pd.read_json(out, orient="records")
    assert rows["test_year"].tolist() == [2019]
    assert "| 2018 | 2019 |" in doc.read_text(encoding="utf-8")
