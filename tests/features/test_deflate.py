"""Nominal US dollars restated in base-year dollars with the CPI-U, checked by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.accounting.deflate import CPI_U_ANNUAL, MONEY_BASE_YEAR, to_base_year_usd
from features.errors import InvalidValueError

# BLS CPI-U annual averages (CUUR0000SA0, 1982-84=100) typed from the published table.
CPI_1990, CPI_2005, CPI_2015, CPI_2024 = 130.7, 195.3, 237.017, 313.689


def test_base_year_is_2024() -> None:
    assert MONEY_BASE_YEAR == 2024


def test_1000_usd_of_1990_in_2024_dollars_by_hand() -> None:
    # 1,000 x 313.689 / 130.7 = 2,400.07 USD of 2024
    assert to_base_year_usd(1000.0, 1990) == pytest.approx(1000 * CPI_2024 / CPI_1990)
    assert to_base_year_usd(1000.0, 1990) == pytest.approx(2400.0689, abs=1e-4)


def test_other_base_year_by_hand() -> None:
    assert to_base_year_usd(500.0, 2005, base_year=2015) == pytest.approx(500 * CPI_2015 / CPI_2005)
    assert to_base_year_usd(123.0, 2024) == 123.0


def test_vectorised_over_series_with_missing_years() -> None:
    amounts = pd.Series([1000.0, 1000.0, 250.0, np.nan], index=["a", "b", "c", "d"])
    years = pd.Series([1990, None, 2015, 2015], index=["a", "b", "c", "d"], dtype="Int64")
    real = to_base_year_usd(amounts, years)
    assert list(real.index) == ["a", "b", "c", "d"]
    assert real["a"] == pytest.approx(1000 * CPI_2024 / CPI_1990)
    assert np.isnan(real["b"])  # unknown year: no real value, not a guess
    assert real["c"] == pytest.approx(250 * CPI_2024 / CPI_2015)
    assert np.isnan(real["d"])


def test_vectorised_over_numpy_float_years() -> None:
    real = to_base_year_usd(np.array([1000.0, 1000.0, 1000.0]), np.array([1990.0, np.nan, 2024]))
    assert isinstance(real, np.ndarray)
    np.testing.assert_allclose(real, [1000 * CPI_2024 / CPI_1990, np.nan, 1000.0])
    # a scalar amount broadcasts over the years
    np.testing.assert_allclose(
        to_base_year_usd(10.0, np.array([2005, 2015])),
        [10 * CPI_2024 / CPI_2005, 10 * CPI_2024 / CPI_2015],
    )


def test_year_outside_the_table_names_the_field_and_range() -> None:
    with pytest.raises(InvalidValueError, match=r"^fy: invalid value 1975.*1980-2025") as info:
        to_base_year_usd(np.array([1.0, 2.0]), np.array([1990, 1975]), field="fy")
    assert info.value.field == "fy"
    with pytest.raises(InvalidValueError, match=r"^year: .*2026"):
        to_base_year_usd(1.0, 2026)
    with pytest.raises(InvalidValueError, match=r"whole year"):
        to_base_year_usd(1.0, 1990.5)


def test_eleven_month_2025_deflates_but_is_no_base() -> None:
    assert to_base_year_usd(321.943, 2025) == pytest.approx(CPI_2024)
    with pytest.raises(InvalidValueError, match=r"^base_year: .*1980-2024"):
        to_base_year_usd(1.0, 2020, base_year=2025)


def test_table_equals_the_shared_bls_copy(shared_data: Path) -> None:
    path = shared_data / "us-cpi-ppi-annual-1980-2025/cpi_u_annual_1980_2025.csv"
    with path.open() as handle:
        published = {int(r["year"]): float(r["cpi_u_annual_avg"]) for r in csv.DictReader(handle)}
    assert published == CPI_U_ANNUAL
