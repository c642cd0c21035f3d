"""Meter readings from a file a plant already keeps: CSV (UTF-8, with or without BOM, comma) or
Excel .xlsx, one row per carrier and period, headers in English or Chinese.

Columns: ``period`` (YYYY-MM, or YYYY-MM-DD with ``period_end``), ``carrier``, ``quantity``,
``unit``, and optionally ``period_end``, ``production``, ``hdd``, ``cdd``, ``temperature_c``,
``non_routine``, ``adjustment``. Every bad cell is reported with its spreadsheet row (the header is
row 1) and column, and what is allowed.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError

from features.errors import InvalidValueError
from features.units import Carrier, allowed_units, to_canonical
from features.verification.periods import PERIOD_FORMATS, Span, check_overlaps, parse_span
from features.verification.schema import MeterReading

COLUMNS: tuple[str, ...] = (
    "period", "period_end", "carrier", "quantity", "unit", "production", "hdd", "cdd",
    "temperature_c", "non_routine", "adjustment",
)  # fmt: skip
REQUIRED: tuple[str, ...] = ("period", "carrier", "quantity", "unit")
#: Chinese headers as plants write them.
HEADER_ALIASES: dict[str, str] = {
    "期间": "period", "月份": "period", "结束日期": "period_end", "能源品种": "carrier",
    "用量": "quantity", "数量": "quantity", "单位": "unit", "产量": "production",
    "采暖度日数": "hdd", "供冷度日数": "cdd", "平均气温": "temperature_c",
    "非常规事件": "non_routine", "调整量": "adjustment",
}  # fmt: skip
#: Chinese carrier names (统计用语).
CARRIER_ALIASES: dict[str, Carrier] = {
    "电力": Carrier.ELECTRICITY, "电": Carrier.ELECTRICITY, "天然气": Carrier.NATURAL_GAS,
    "煤": Carrier.COAL, "原煤": Carrier.COAL, "柴油": Carrier.DIESEL, "燃料油": Carrier.FUEL_OIL,
    "液化石油气": Carrier.LPG, "外购热力": Carrier.PURCHASED_HEAT, "热力": Carrier.PURCHASED_HEAT,
    "生物质": Carrier.BIOMASS,
}  # fmt: skip
#: Most bad cells listed in one error.
MAX_LISTED = 20
#: Allowed ranges of the numeric columns (as MeterReading takes them).
_RANGES: dict[str, tuple[float, float]] = {
    "quantity": (0.0, 1e15), "production": (0.0, 1e15), "hdd": (0.0, 1e5), "cdd": (0.0, 1e5),
    "temperature_c": (-80.0, 70.0), "adjustment": (-1e15, 1e15),
}  # fmt: skip


class MeterFileError(InvalidValueError):
    """Bad cells of a meter file: the first one's field, value and allowed values, and all of
    them (up to :data:`MAX_LISTED`) in ``problems`` and in the message."""

    def __init__(self, problems: list[InvalidValueError], total: int) -> None:
        first = problems[0]
        super().__init__(first.field, first.value, first.allowed)
        self.problems = problems
        self.total = total
        if total > 1:
            more = f" (and {total - len(problems)} more)" if total > len(problems) else ""
            listed = "; ".join(str(p) for p in problems)
            self.args = (f"{total} bad cells{more}: {listed}",)


def _blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _number(value: object, column: str, where: str) -> float:
    low, high = _RANGES[column]
    allowed = f"a number from {low:g} to {high:g}"
    if isinstance(value, bool):
        raise InvalidValueError(f"{where}: {column}", value, allowed)
    try:
        number = (
            float(str(value).replace(",", "").strip())
            if isinstance(value, str)
            else float(
                value  # type: ignore[arg-type]
            )
        )
    except (TypeError, ValueError, OverflowError):
        raise InvalidValueError(f"{where}: {column}", value, allowed) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidValueError(f"{where}: {column}", value, allowed)
    return number


def _day_text(value: object, month_only: bool) -> str:
    """A cell as the period text: Excel dates become YYYY-MM (period) or YYYY-MM-DD."""
    if isinstance(value, datetime | date):
        return f"{value:%Y-%m}" if month_only else f"{value:%Y-%m-%d}"
    text = str(value).strip()
    if text.endswith(" 00:00:00"):
        text = text[: -len(" 00:00:00")]
    return text


def _carrier(value: object, where: str) -> Carrier:
    name = str(value).strip()
    if name in CARRIER_ALIASES:
        return CARRIER_ALIASES[name]
    try:
        return Carrier(name.lower().replace(" ", "_"))
    except ValueError:
        allowed = [c.value for c in Carrier] + list(CARRIER_ALIASES)
        raise InvalidValueError(f"{where}: carrier", value, allowed) from None


def _frame(data: bytes, filename: str) -> pd.DataFrame:
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            return pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        except (ValueError, KeyError, OSError) as exc:  # not an xlsx workbook
            raise InvalidValueError("file", filename, "an .xlsx workbook or a CSV file") from exc
    if name.endswith(".csv") or not name.endswith((".xls", ".xlsm", ".ods")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidValueError("file", filename, "a CSV file in UTF-8") from None
        try:
            return pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InvalidValueError("file", filename, f"a comma-separated table: {exc}") from None
    raise InvalidValueError("file", filename, "a .csv or .xlsx file")


def read_meters(data: bytes, filename: str) -> list[MeterReading]:
    """Meter readings from a CSV or .xlsx file.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        Its name; ``.xlsx`` is read as Excel (first sheet), anything else as CSV.

    Returns
    -------
    list[MeterReading]
        One reading per data row, in file order.

    Raises
    ------
    MeterFileError
        An :class:`InvalidValueError` whose field names the first bad cell (``"row 7:
        quantity"``, rows as a spreadsheet numbers them, header row 1), its value and what is
        allowed; its message lists up to 20 bad cells. Unknown or missing columns, duplicate or
        overlapping periods of one carrier are reported the same way.
    """
    frame = _frame(data, filename)
    headers: dict[str, str] = {}
    problems: list[InvalidValueError] = []
    allowed_headers = [*COLUMNS, *HEADER_ALIASES]
    for raw in frame.columns:
        name = str(raw).strip().lstrip("\ufeff")
        key = HEADER_ALIASES.get(name, name.lower())
        if key not in COLUMNS:
            problems.append(InvalidValueError(f"row 1: {name}", name, allowed_headers))
        elif key in headers.values():
            problems.append(InvalidValueError(f"row 1: {name}", name, "each column once"))
        else:
            headers[str(raw)] = key
    missing = [c for c in REQUIRED if c not in headers.values()]
    if missing:
        optional = [c for c in COLUMNS if c not in REQUIRED]
        wanted = f"columns {list(REQUIRED)} (optional {optional})"
        problems.append(InvalidValueError("row 1", ", ".join(missing), wanted))
    if problems:
        raise MeterFileError(problems[:MAX_LISTED], len(problems))
    if frame.empty:
        raise InvalidValueError("file", filename, "at least one data row under the header")
    frame = frame.rename(columns=headers)
    readings: list[MeterReading] = []
    rows: list[int] = []
    spans: list[Span] = []
    for position, record in enumerate(frame.to_dict("records")):
        row = position + 2
        where = f"row {row}"
        cells: dict[str, Any] = {
            str(k): v for k, v in record.items() if not _blank(v)
        }  # Any: cells
        if not cells:
            continue  # an empty line at the end of a sheet is not a reading
        bad_before = len(problems)
        values: dict[str, Any] = {}  # Any: typed per column below
        for column in REQUIRED:
            if column not in cells:
                problems.append(InvalidValueError(f"{where}: {column}", None, "a value"))
        carrier: Carrier | None = None
        if "carrier" in cells:
            try:
                carrier = _carrier(cells["carrier"], where)
                values["carrier"] = carrier
            except InvalidValueError as exc:
                problems.append(exc)
        for column in _RANGES:
            if column in cells:
                try:
                    values[column] = _number(cells[column], column, where)
                except InvalidValueError as exc:
                    problems.append(exc)
        if "unit" in cells:
            values["unit"] = str(cells["unit"]).strip()
            if carrier is not None:
                try:
                    to_canonical(carrier, 1.0, values["unit"], field=f"{where}: unit")
                except InvalidValueError:
                    units = ", ".join(allowed_units(carrier))
                    wanted = f"a unit of {carrier.value}: {units}"
                    problems.append(InvalidValueError(f"{where}: unit", cells["unit"], wanted))
        end = cells.get("period_end")
        if "period" in cells:
            values["period"] = _day_text(cells["period"], month_only=end is None)
            values["period_end"] = None if end is None else _day_text(end, month_only=False)
            try:
                span = parse_span(
                    values["period"],
                    values["period_end"],
                    f"{where}: period",
                    f"{where}: period_end",
                )
            except InvalidValueError as exc:
                problems.append(
                    InvalidValueError(
                        exc.field,
                        cells.get("period") if exc.field.endswith(": period") else end,
                        exc.allowed or PERIOD_FORMATS,
                    )
                )
        for column in ("non_routine",):
            if column in cells:
                values[column] = str(cells[column]).strip()
        if len(problems) > bad_before:
            continue
        try:
            reading = MeterReading.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            column = str(error["loc"][0]) if error["loc"] else "row"
            problems.append(
                InvalidValueError(f"{where}: {column}", cells.get(column), error["msg"])
            )
            continue
        readings.append(reading)
        rows.append(row)
        spans.append(span)
    if not problems:
        try:
            check_overlaps([r.carrier for r in readings], spans, lambda i: f"row {rows[i]}")
        except InvalidValueError as exc:
            problems.append(exc)
    if problems:
        raise MeterFileError(problems[:MAX_LISTED], len(problems))
    if not readings:
        raise InvalidValueError("file", filename, "at least one data row under the header")
    return readings
