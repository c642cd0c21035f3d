"""Column access shared by training (pandas DataFrames) and serving (plain arrays).

Functions that build model inputs take a *table*: anything indexable by column name, either a
DataFrame or a ``dict`` of lists/arrays as :func:`profile_table` builds from profiles without
pandas, so the request path does no pandas work.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from features.process_routes.definitions import ProductionLine
from features.profile import (
    PROFILE_COLUMNS,
    FactoryProfile,
    format_end_use_shares,
    format_fuel_prices,
    parse_production,
)
from features.units import PROFILE_FIELD

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
    """The profile columns of ``profiles`` (canonical units) as plain lists: no pandas.

    Each value is read from the validated profile, which converted its units, found its
    route lines and its grid once: energy per carrier in canonical units, ``production`` as
    the tuple of validated route lines :func:`table_lines` reads as they are (a frame holds
    their JSON text). Fuel prices and end-use shares are the frame's text, at the precision
    the training tables hold.
    """
    energy_field = {name: carrier for carrier, name in PROFILE_FIELD.items()}
    columns: dict[str, list[object]] = {name: [] for name in PROFILE_COLUMNS}
    for profile in profiles:
        for name in PROFILE_COLUMNS:
            if name in energy_field:
                value: object = profile.energy(energy_field[name])
            elif name == "grid":
                value = profile.grid
            elif name == "measures_in_place":
                value = ";".join(profile.measures_in_place)
            elif name == "production":
                value = tuple(profile.route_lines())
            elif name == "fuel_prices":
                value = format_fuel_prices(profile.fuel_prices)
            elif name == "end_use_shares":
                shares = profile.end_use_shares() if profile.end_uses else {}
                value = format_end_use_shares(shares)
            else:
                value = getattr(profile, name)
                if hasattr(value, "value"):  # enums: country, sector
                    value = value.value
            columns[name].append(value)
    return columns


def table_lines(table: Table) -> list[tuple[ProductionLine, ...]]:
    """Each row's validated production lines: as :func:`profile_table` holds them, or read
    from the JSON text of a frame's ``production`` column; none where the column is absent."""
    if "production" not in table:
        return [() for _ in range(n_rows(table))]
    cells: Iterable[object] = table["production"]
    return [
        cell if isinstance(cell, tuple) else _lines_of_text("" if _missing(cell) else str(cell))
        for cell in cells
    ]


@functools.lru_cache(maxsize=4096)
def _lines_of_text(text: str) -> tuple[ProductionLine, ...]:
    """Validated production lines of a ``production`` cell's text (cached per text: a
    training frame repeats few)."""
    return tuple(
        ProductionLine.model_validate(raw).validated(f"production[{i}]")
        for i, raw in enumerate(parse_production(text))
    )
