"""Money in real terms: nominal US dollars of a year restated in dollars of a base year.

``value_base = value_year x CPI[base] / CPI[year]`` with the BLS CPI-U annual averages below.
IAC fiscal years run October to September while these are calendar-year averages, so applying
them to a fiscal year is an approximation (about a quarter of a year's inflation at most).

Source: BLS, Consumer Price Index for All Urban Consumers (CPI-U), U.S. city average, all items,
not seasonally adjusted, 1982-84=100, series ``CUUR0000SA0``, annual averages as BLS publishes
them (1 decimal to 2006, 3 decimals from 2007), copied from
``../shared/data/us-cpi-ppi-annual-1980-2025/cpi_u_annual_1980_2025.csv`` (column
``cpi_u_annual_avg``; that data card lists the checks against FRED ``CPIAUCNS`` and the BLS API).
2025 is the mean of 11 months (BLS collected no October 2025 data): it may deflate money of
FY2025 audits, but it is refused as a base year.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

from features.errors import InvalidValueError

#: Year whose price level the project's real money is stated in.
MONEY_BASE_YEAR = 2024

#: CPI-U annual average by calendar year (BLS CUUR0000SA0, 1982-84=100); source in the module
#: docstring.
CPI_U_ANNUAL: dict[int, float] = {
    1980: 82.4, 1981: 90.9, 1982: 96.5, 1983: 99.6, 1984: 103.9,
    1985: 107.6, 1986: 109.6, 1987: 113.6, 1988: 118.3, 1989: 124.0,
    1990: 130.7, 1991: 136.2, 1992: 140.3, 1993: 144.5, 1994: 148.2,
    1995: 152.4, 1996: 156.9, 1997: 160.5, 1998: 163.0, 1999: 166.6,
    2000: 172.2, 2001: 177.1, 2002: 179.9, 2003: 184.0, 2004: 188.9,
    2005: 195.3, 2006: 201.6, 2007: 207.342, 2008: 215.303, 2009: 214.537,
    2010: 218.056, 2011: 224.939, 2012: 229.594, 2013: 232.957, 2014: 236.736,
    2015: 237.017, 2016: 240.007, 2017: 245.120, 2018: 251.107, 2019: 255.657,
    2020: 258.811, 2021: 270.970, 2022: 292.655, 2023: 304.702, 2024: 313.689,
    2025: 321.943,  # 11 months (October 2025 not collected): never a base year
}  # fmt: skip
#: Years whose average lacks months; they may be deflated from but not used as a base.
PARTIAL_YEARS: frozenset[int] = frozenset({2025})

FIRST_YEAR, LAST_YEAR = min(CPI_U_ANNUAL), max(CPI_U_ANNUAL)
_CPI = np.array([CPI_U_ANNUAL[y] for y in range(FIRST_YEAR, LAST_YEAR + 1)])


Money = float | np.ndarray | pd.Series
Years = int | float | np.ndarray | pd.Series | None


def cpi_factor(year: Years, base_year: int = MONEY_BASE_YEAR, *, field: str = "year") -> np.ndarray:
    """Multiplier from dollars of ``year`` to dollars of ``base_year``, as a float array shaped
    like ``year`` (0-d for a scalar); NaN where the year is missing.

    Raises
    ------
    InvalidValueError
        As :func:`to_base_year_usd`.
    """
    if (
        isinstance(base_year, bool)
        or not isinstance(base_year, int | np.integer)
        or int(base_year) not in CPI_U_ANNUAL
        or int(base_year) in PARTIAL_YEARS
    ):
        full = max(y for y in CPI_U_ANNUAL if y not in PARTIAL_YEARS)
        raise InvalidValueError(
            "base_year", base_year, f"a year with a full CPI-U average, {FIRST_YEAR}-{full}"
        )
    raw = np.asarray(year, dtype=object)
    missing = np.asarray(pd.isna(raw), dtype=bool)
    flat = pd.to_numeric(pd.Series(raw.ravel()), errors="coerce").to_numpy(dtype=float)
    values: np.ndarray = flat.reshape(raw.shape)
    with np.errstate(invalid="ignore"):
        bad = ~missing & (
            np.isnan(values)  # not a number at all, e.g. "FY90"
            | (values != np.floor(values))
            | (values < FIRST_YEAR)
            | (values > LAST_YEAR)
        )
    if bad.any():
        raise InvalidValueError(
            field,
            raw[bad].ravel()[0],
            f"a whole year {FIRST_YEAR}-{LAST_YEAR} (the CPI-U table) or missing; "
            f"{int(bad.sum())} value(s) outside",
        )
    factor = np.full(raw.shape, np.nan)
    known = ~missing
    factor[known] = CPI_U_ANNUAL[int(base_year)] / _CPI[values[known].astype(int) - FIRST_YEAR]
    return factor


@overload
def to_base_year_usd(
    amount: pd.Series, year: Years, base_year: int = ..., *, field: str = ...
) -> pd.Series: ...
@overload
def to_base_year_usd(
    amount: float | np.ndarray, year: pd.Series, base_year: int = ..., *, field: str = ...
) -> pd.Series: ...
@overload
def to_base_year_usd(
    amount: float | np.ndarray,
    year: int | float | np.ndarray | None,
    base_year: int = ...,
    *,
    field: str = ...,
) -> float | np.ndarray: ...
def to_base_year_usd(
    amount: Money, year: Years, base_year: int = MONEY_BASE_YEAR, *, field: str = "year"
) -> Money:
    """Restate nominal US dollars of ``year`` in US dollars of ``base_year`` with the CPI-U.

    Parameters
    ----------
    amount
        Nominal USD: a number, a numpy array or a pandas Series, broadcast against ``year``.
    year
        Calendar (or fiscal) year of each amount: int or float (a whole number), scalar or
        array-like, nullable. A missing year (NaN, ``None``, ``pd.NA``) gives a missing result:
        money of an unknown year has no known real value, so the caller chooses its fallback
        (e.g. the plant's year) instead of this function guessing one.
    base_year
        Year to restate in (default :data:`MONEY_BASE_YEAR`); a year with a full CPI-U average.
    field
        Name of the year field, used in the error message.

    Returns
    -------
    float | numpy.ndarray | pandas.Series
        A Series when ``amount`` or ``year`` is one (the index of ``amount``, else of
        ``year``; Series are multiplied by position), a float for two scalars, else an array.

    Raises
    ------
    InvalidValueError
        A year that is not a whole number in 1980-2025 (naming ``field`` and the range), or a
        base year outside 1980-2024.

    Examples
    --------
    >>> round(to_base_year_usd(1000.0, 1990), 2)
    2400.07
    >>> to_base_year_usd(np.array([100.0, 100.0]), np.array([2024, np.nan]))
    array([100.,  nan])
    """
    factor = cpi_factor(year, base_year, field=field)
    if isinstance(amount, pd.Series):
        real: pd.Series = amount.astype(float) * factor
        return real
    if isinstance(year, pd.Series):
        return pd.Series(np.asarray(amount, dtype=float) * factor, index=year.index)
    result = np.asarray(amount, dtype=float) * factor
    return float(result) if result.ndim == 0 else result
