from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.sources import load_dataset
from features.sources.cli import write_dataset
from features.sources.synthetic import SyntheticConfig, generate
from features.targets import outcome_targets


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tables")
    write_dataset(generate(SyntheticConfig(n_factories=200, seed=3)), directory, "csv")
    return directory


def test_round_trip_through_files(tables: Path, tmp_path: Path) -> None:
    original = generate(SyntheticConfig(n_factories=200, seed=3))
    data = load_dataset("files", tables)
    assert data.report.rows_used == {"factories": 200, "outcomes": len(original.outcomes)}
    assert data.truth is not None
    pd.testing.assert_series_equal(
        data.outcomes["tco2e_saved"], original.outcomes["tco2e_saved"], check_exact=False
    )
    write_dataset(data, tmp_path, "parquet")
    again = load_dataset("files", tmp_path)
    assert again.report.rows_used == data.report.rows_used


def test_bad_rows_are_rejected_with_row_column_and_reason(tables: Path, tmp_path: Path) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    factories = pd.read_csv(tmp_path / "factories.csv")
    factories.loc[4, "coal_gj"] = -1.0
    factories.to_csv(tmp_path / "factories.csv", index=False)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv")
    victim = factories.loc[4, "factory_id"]
    n_victim = int((outcomes["factory_id"] == victim).sum())
    outcomes.loc[0, "implementation_status"] = "done"
    outcomes.loc[1, "measure_id"] = "perpetual_motion"
    outcomes.loc[2, "year"] = 1066
    outcomes.loc[3, "outcome_id"] = outcomes.loc[5, "outcome_id"]
    outcomes.loc[6, "electricity_kwh_saved"] = 1e30  # absurd: a unit mistake
    outcomes.loc[7, "tco2e_saved"] = 1e12
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    factories.loc[8, "electricity_kwh"] = 1e30
    factories.to_csv(tmp_path / "factories.csv", index=False)
    n_victim += int((outcomes["factory_id"] == factories.loc[8, "factory_id"]).sum())
    n_victim -= int(
        outcomes.loc[[6, 7], "factory_id"]
        .isin([factories.loc[4, "factory_id"], factories.loc[8, "factory_id"]])
        .sum()
    )

    report = load_dataset("files", tmp_path).report
    report.check_balance()
    rej = report.rejected.set_index(["table", "row"])
    assert rej.loc[("factories", 4), "column"] == "coal_gj"
    assert rej.loc[("outcomes", 0), "column"] == "implementation_status"
    assert rej.loc[("outcomes", 1), "column"] == "measure_id"
    assert rej.loc[("outcomes", 2), "column"] == "year"
    assert "duplicate" in rej.loc[("outcomes", 5), "reason"]
    assert rej.loc[("factories", 8), "column"] == "electricity_kwh"
    assert "plausibility limit" in rej.loc[("factories", 8), "reason"]
    assert rej.loc[("outcomes", 6), "column"] == "electricity_kwh_saved"
    assert "plausibility limit" in rej.loc[("outcomes", 6), "reason"]
    assert rej.loc[("outcomes", 7), "column"] == "tco2e_saved"
    assert report.rows_rejected("outcomes") == 6 + n_victim


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "it is empty"),
        (b"factory_id,country\nf1,CN\nf2,\xff\xfeCN\n", "line 3"),
        (b"PAR1 this is not parquet", "Parquet"),
    ],
)
def test_unreadable_files_name_the_file_and_the_line(
    tables: Path, tmp_path: Path, content: bytes, expected: str
) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    name = "factories.parquet" if content.startswith(b"PAR1") else "factories.csv"
    (tmp_path / "factories.csv").unlink()
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidValueError) as exc:
        load_dataset("files", tmp_path)
    message = str(exc.value)
    assert name in message
    assert expected in message


def test_wrong_column_is_one_clear_error(tables: Path, tmp_path: Path) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv").rename(columns={"year": "yr"})
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    with pytest.raises(InvalidValueError, match="outcomes column: invalid value 'yr'"):
        load_dataset("files", tmp_path)


def test_unknown_source_and_missing_path() -> None:
    with pytest.raises(InvalidValueError, match="synthetic, world2, iac, files"):
        load_dataset("ftp")
    with pytest.raises(InvalidValueError, match="path"):
        load_dataset("files")


def test_decarb_data_command(tmp_path: Path) -> None:
    exe = shutil.which("decarb-data", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run(
        [exe, "--source", "synthetic", "--n-factories", "300", "--seed", "2",
         "--write", str(tmp_path), "--format", "csv"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "factories: 300 rows in = 300 used + 0 rejected" in result.stdout
    assert "implementation rate" in result.stdout
    back = subprocess.run(
        [exe, "--source", "files", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert back.returncode == 0, back.stderr
    assert "factories: 300 rows in = 300 used + 0 rejected" in back.stdout
    bad = subprocess.run([exe, "--source", "iac"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "path" in bad.stderr


def test_one_bad_cell_rejects_its_row_only_naming_column_and_value(
    tables: Path, tmp_path: Path
) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv", dtype=str, keep_default_na=False)
    outcomes.loc[3, "electricity_kwh_saved"] = "abc"
    outcomes.loc[4, "implementation_cost"] = "12,500.5"  # thousands separator: accepted
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    data = load_dataset("files", tmp_path)
    rej = data.report.rejected
    assert rej["table"].tolist() == ["outcomes"]
    assert rej["row"].tolist() == [3]
    assert rej["column"].tolist() == ["electricity_kwh_saved"]
    assert "'abc' is not a number" in rej["reason"].iloc[0]
    assert data.report.rows_used["outcomes"] == len(outcomes) - 1
    kept = data.outcomes.set_index("outcome_id")
    assert kept.loc[outcomes.loc[4, "outcome_id"], "implementation_cost"] == 12500.5


def test_savings_columns_are_optional_and_blanks_are_stated(tables: Path, tmp_path: Path) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    outcomes = pd.read_csv(tmp_path / "outcomes.csv")
    # A site table that never mentions the carriers it does not use.
    outcomes = outcomes.drop(columns=["coal_gj_saved", "lpg_gj_saved", "tco2e_saved"])
    outcomes.loc[0, "natural_gas_gj_saved"] = None  # a blank beside a reported stream
    outcomes.loc[1, [c for c in outcomes.columns if c.endswith("_saved")]] = None  # none at all
    outcomes.loc[2, "streams_complete"] = False
    outcomes.loc[2, "electricity_kwh_saved"] = None
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    data = load_dataset("files", tmp_path)
    assert data.report.rows_rejected("outcomes") == 0
    out = data.outcomes
    assert (out["coal_gj_saved"] == 0).all()
    assert out.loc[0, "natural_gas_gj_saved"] == 0
    assert np.isnan(out.loc[1, "electricity_kwh_saved"])
    assert np.isnan(out.loc[2, "electricity_kwh_saved"])
    notes = " | ".join(data.report.notes)
    assert "outcomes with blank savings streams read as 0" in notes
    assert "1 outcomes without any savings stream" in notes
    assert "1 outcomes with incomplete savings streams" in notes
    # Training still finds the savings it needs.
    targets = outcome_targets(data.factories, data.outcomes, Catalogue.default())
    assert int(np.isfinite(targets["log_fraction"]).sum()) > 0.9 * len(out)


def test_factory_cells_are_checked_one_by_one_too(tables: Path, tmp_path: Path) -> None:
    shutil.copytree(tables, tmp_path, dirs_exist_ok=True)
    factories = pd.read_csv(tmp_path / "factories.csv", dtype=str, keep_default_na=False)
    factories.loc[3, "electricity_kwh"] = "abc"
    factories.loc[4, "employees"] = "1,200"  # thousands separator: accepted
    factories.to_csv(tmp_path / "factories.csv", index=False)
    data = load_dataset("files", tmp_path)
    rej = data.report.rejected
    bad = rej[rej["table"] == "factories"]
    assert bad["row"].tolist() == [3]
    assert bad["column"].tolist() == ["electricity_kwh"]
    assert "'abc'" in bad["reason"].iloc[0]
    kept = data.factories.set_index("factory_id")
    assert int(kept.loc[factories.loc[4, "factory_id"], "employees"]) == 1200
