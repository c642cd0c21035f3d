"""Column access shared by training (pandas DataFrames) and serving (plain arrays).

Functions that build model inputs take a *table*: anything indexable by column name, either a
DataFrame or a ``dict`` of lists/arrays as :func:`profile_table` builds from profiles without
pandas, so the request path does no pandas work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from features.profile import (
    PROFILE_COLUMNS,
    FactoryProfile,
    format_end_use_shares,
    format_fuel_prices,
    format_production,
)

#: A DataFrame, or a mapping from column name to a sequence of values. ``Any``: cell values.
Table = Mapping[str, Any] | pd.DataFrame


def n_rows(table: Table) -> int:
    """Number of rows of a table."""
    if isinstance(table, pd.DataFrame):
        return len(table)
    return len(next(iter(table.values()))) if table else 0


def take_rows(table: Table, rows: slice) -> Table:
    """Rows ``rows`` of a table, renumbered from 0."""
    if isinstance(table, pd.DataFrame):
        return table.iloc[rows].reset_index(drop=True)
    return {name: list(values)[rows] for name, values in table.items()}


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def floats(table: Table, column: str) -> np.ndarray:
    """A column as float64, missing values as NaN (text that is not a number too, in frames)."""
    values = table[column]
    if isinstance(values, pd.Series):
        result: np.ndarray = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        return result
    return np.array([np.nan if _missing(v) else float(v) for v in values], dtype=float)


def floats0(table: Table, column: str) -> np.ndarray:
    """A column as float64 with missing values as 0 (energy use, areas)."""
    values = floats(table, column)
    result: np.ndarray = np.where(np.isnan(values), 0.0, values)  # never writes into a frame
    return result


def texts(table: Table, column: str) -> list[str]:
    """A column as strings, missing values as ""."""
    values: Iterable[object] = table[column]
    return ["" if _missing(v) else str(v) for v in values]


def profile_table(profiles: Sequence[FactoryProfile]) -> dict[str, list[object]]:
    """The profile columns of ``profiles`` (canonical units) as plain lists: no pandas."""
    columns: dict[str, list[object]] = {name: [] for name in PROFILE_COLUMNS}
    for profile in profiles:
        canonical = profile.canonical() if profile.energy_use else profile
        for name in PROFILE_COLUMNS:
            if name == "grid":
                value: object = canonical.grid
            elif name == "measures_in_place":
                value = ";".join(canonical.measures_in_place)
            elif name == "production":
                value = format_production(canonical.route_lines())
            elif name == "fuel_prices":
                value = format_fuel_prices(canonical.fuel_prices)
            elif name == "end_use_shares":
                value = (
                    format_end_use_shares(canonical.end_use_shares()) if profile.end_uses else ""
                )
            else:
                value = getattr(canonical, name)
                if hasattr(value, "value"):  # enums: country, sector
                    value = value.value
            columns[name].append(value)
    return columns
