"""The user's own tables: ``factories``, ``outcomes`` and optionally ``truth`` as CSV or Parquet.

Schema: docs/data-format.md. A file with an unknown or missing required column is one clear
error naming it. Every bad row is rejected with its row number, column and reason in the report;
nothing is dropped silently. Outcomes of rejected or unknown factories are rejected too.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.profile import PROFILE_COLUMNS, plain_number, profiles_from_frame, profiles_to_frame
from features.sources.schema import (
    IMPLEMENTATION_STATUSES,
    OUTCOME_COLUMNS,
    SAVED_COLUMN,
    TRUTH_COLUMNS,
    DataReport,
    Dataset,
    fingerprint,
    implemented_from_status,
    outcome_tco2e,
    rejection_frame,
)
from features.units import CANONICAL_UNIT, PLAUSIBLE_MAX

FACTORY_REQUIRED = ("factory_id", "country", "region", "reporting_year")
OUTCOME_REQUIRED = ("outcome_id", "factory_id", "year", "implementation_status")
_NUMERIC_OUTCOME = (
    *SAVED_COLUMN.values(),
    "demand_kw_months_saved",
    "tco2e_saved",
    "cost_savings_per_year",
    "implementation_cost",
)


def _read(directory: Path, name: str, required: bool) -> pd.DataFrame | None:
    for suffix in (".parquet", ".csv", ".csv.gz"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return read_table(path)
    if required:
        raise InvalidValueError(
            "path", str(directory / name), f"{name}.parquet, {name}.csv or {name}.csv.gz"
        )
    return None


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8) or Parquet table; an unreadable one is an error naming the file and,
    where the reader knows it, the line."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(
            path, keep_default_na=False, na_values=[""], low_memory=False, encoding="utf-8"
        )
    except UnicodeDecodeError:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        try:
            raw.decode("utf-8")
            start = 0
        except UnicodeDecodeError as exc:  # the reader's offset is within its chunk: redo it
            start = exc.start
        line = raw[:start].count(b"\n") + 1
        raise InvalidValueError(
            "file",
            f"{path}, line {line}",
            f"UTF-8 text (byte {raw[start : start + 1]!r} at offset {start} is not)",
        ) from None
    except pd.errors.EmptyDataError:
        raise InvalidValueError(
            "file", str(path), "a table with a header row (it is empty)"
        ) from None
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        kind = "Parquet" if path.suffix == ".parquet" else "CSV"
        raise InvalidValueError(
            "file",
            str(path),
            f"a readable {kind} file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''})",
        ) from None


def _check_columns(
    frame: pd.DataFrame, allowed: list[str], required: tuple[str, ...], table: str
) -> None:
    unknown = [c for c in frame.columns if c not in allowed and not str(c).startswith("x_")]
    if unknown:
        raise InvalidValueError(f"{table} column", unknown[0], [*allowed, "x_* (extra)"])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidValueError(f"{table} column", missing[0], f"required: {list(required)}")


def read_files(
    directory: str | Path,
    table: FactorTable | None = None,
    catalogue: Catalogue | None = None,
) -> Dataset:
    """Read and validate ``factories``/``outcomes``/``truth`` tables from ``directory``."""
    directory = Path(directory)
    table = table or FactorTable.default()
    catalogue = catalogue or Catalogue.default()
    factories_in = _read(directory, "factories", required=True)
    outcomes_in = _read(directory, "outcomes", required=True)
    truth = _read(directory, "truth", required=False)
    if factories_in is None or outcomes_in is None:  # unreachable: required=True raises
        raise InvalidValueError("path", str(directory), "factories and outcomes tables")
    _check_columns(factories_in, list(PROFILE_COLUMNS), FACTORY_REQUIRED, "factories")
    _check_columns(outcomes_in, list(OUTCOME_COLUMNS), OUTCOME_REQUIRED, "outcomes")
    if truth is not None:
        _check_columns(truth, list(TRUTH_COLUMNS), ("factory_id", "measure_id"), "truth")

    rejected: list[tuple[str, int, str, str, str]] = []
    profiles, bad = profiles_from_frame(factories_in)
    bad_rows = {row for row, _ in bad}
    for row, exc in bad:
        fid = str(factories_in.iloc[row].get("factory_id", ""))
        rejected.append(("factories", row, fid, exc.field, str(exc)))
    good = [i for i in range(len(factories_in)) if i not in bad_rows]
    # Store the validated, canonical values (typed, energy_use folded in, names normalised),
    # with the source's own x_* columns beside them.
    factories = profiles_to_frame(profiles)
    extra = [c for c in factories_in.columns if str(c).startswith("x_")]
    for column in extra:
        factories[column] = factories_in[column].iloc[good].to_numpy()

    notes: list[str] = []
    outcomes = _validate_outcomes(outcomes_in, factories, catalogue, rejected, notes)
    if "tco2e_saved" not in outcomes_in.columns:
        outcomes["tco2e_saved"] = outcome_tco2e(outcomes, factories, table)
    report = DataReport(
        source="files",
        detail=str(directory),
        rows_in={"factories": len(factories_in), "outcomes": len(outcomes_in)},
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        rejected=rejection_frame(rejected),
        notes=notes + ([] if truth is None else [f"truth table: {len(truth):,} rows"]),
    )
    report.check_balance()
    report.fingerprint = fingerprint(factories, outcomes, truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=truth, report=report)


def _number(value: object) -> float | None:
    """A cell as a number: NaN when blank, None when it is not a number. Thousands separators
    ("1,234.5") are accepted; anything else that is not a number is not guessed at."""
    if _missing(value):
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.number):
        return float(value)
    text = str(plain_number(str(value).strip()))
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _typed_numbers(frame: pd.DataFrame) -> dict[int, tuple[str, object]]:
    """Numeric outcome columns as floats, cell by cell; the first bad cell of each row."""
    bad: dict[int, tuple[str, object]] = {}
    for column in _NUMERIC_OUTCOME:
        if column not in frame:
            continue
        parsed = []
        for row, value in enumerate(frame[column].tolist()):
            number = _number(value)
            if number is None:
                bad.setdefault(row, (column, value))
                number = math.nan
            parsed.append(number)
        frame[column] = np.array(parsed, dtype=float)
    return bad


def _savings_streams(frame: pd.DataFrame, present: list[str], notes: list[str]) -> None:
    """Savings columns as the format defines them: a carrier column that is absent means
    nothing of that carrier saved (when any savings column is given); a blank cell means 0 when
    the row reports another stream and its streams are complete; rows with no stream, or with
    incomplete streams, are kept for adoption and cost and left out of the savings model."""
    columns = list(SAVED_COLUMN.values())
    if not present:
        notes.append("no savings columns: outcomes teach adoption and cost only, not savings")
        return
    reported = ~np.isnan(frame[present].to_numpy(dtype=float)).all(axis=1)
    for column in columns:
        if column not in present:
            frame[column] = 0.0
    values = frame[columns].to_numpy(dtype=float)
    flags = frame["streams_complete"].map(lambda v: str(v).strip().lower() not in ("false", "0"))
    complete = flags.to_numpy(dtype=bool)
    fill = reported & complete & np.isnan(values).any(axis=1)
    values[fill] = np.nan_to_num(values[fill], nan=0.0)
    frame[columns] = values
    if fill.any():
        notes.append(
            f"{int(fill.sum()):,} outcomes with blank savings streams read as 0 "
            "(the row reports other streams and its streams are complete)"
        )
    none = ~reported
    if none.any():
        notes.append(
            f"{int(none.sum()):,} outcomes without any savings stream: used for "
            "adoption and cost, not for the savings model"
        )
    partial = reported & ~complete & np.isnan(values).any(axis=1)
    if partial.any():
        notes.append(
            f"{int(partial.sum()):,} outcomes with incomplete savings streams "
            "(streams_complete false and blanks): used for adoption and cost, not for "
            "the savings model"
        )


def _validate_outcomes(
    outcomes: pd.DataFrame,
    factories: pd.DataFrame,
    catalogue: Catalogue,
    rejected: list[tuple[str, int, str, str, str]],
    notes: list[str],
) -> pd.DataFrame:
    frame = outcomes.copy()
    present = [c for c in SAVED_COLUMN.values() if c in frame.columns]
    bad_cells = _typed_numbers(frame)
    for column in OUTCOME_COLUMNS:
        if column not in frame:
            default: object = {"currency": "USD", "streams_complete": True}.get(column, np.nan)
            frame[column] = default  # type: ignore[call-overload]  # scalar broadcast
    known_factories = set(factories["factory_id"].astype(str))
    seen: set[str] = set()
    keep = np.ones(len(frame), dtype=bool)
    records: list[dict[str, object]] = frame.to_dict("records")  # type: ignore[assignment]
    for row, record in enumerate(records):
        oid = "" if _missing(record["outcome_id"]) else str(record["outcome_id"])
        problem = _outcome_problem(record, oid, seen, known_factories, catalogue)
        if problem is None and row in bad_cells:
            column, value = bad_cells[row]
            problem = (
                column,
                (
                    f"{_shown(value)} is not a number (column {column}); allowed: "
                    "numbers such as 1234.5 or 1,234.5, or blank"
                ),
            )
        if problem is not None:
            rejected.append(("outcomes", row, oid, problem[0], problem[1]))
            keep[row] = False
        else:
            seen.add(oid)
    frame = frame[keep].reset_index(drop=True)
    _savings_streams(frame, present, notes)
    frame["implemented"] = implemented_from_status(frame["implementation_status"])
    group = frame["measure_group"].astype(object)
    family = frame["measure_id"].map(lambda m: None if _missing(m) else catalogue[m].family.value)
    frame["measure_group"] = group.where(group.notna(), family)
    extra = [str(c) for c in frame.columns if str(c).startswith("x_")]
    return frame[[*OUTCOME_COLUMNS, *extra]]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _outcome_problem(
    record: dict[str, object],
    oid: str,
    seen: set[str],
    known_factories: set[str],
    catalogue: Catalogue,
) -> tuple[str, str] | None:
    if not oid:
        return "outcome_id", "missing outcome_id"
    if oid in seen:
        return "outcome_id", f"duplicate outcome_id {oid!r}"
    if str(record["factory_id"]) not in known_factories:
        return "factory_id", f"factory {record['factory_id']!r} not among the accepted factories"
    measure = record["measure_id"]
    if not _missing(measure) and str(measure) not in catalogue.measures:
        return "measure_id", f"{measure!r} is not a catalogue measure (see GET /v1/measures)"
    if _missing(measure) and _missing(record["measure_group"]):
        return "measure_group", "measure_id or measure_group is required"
    status = record["implementation_status"]
    if status not in IMPLEMENTATION_STATUSES:
        return "implementation_status", f"{status!r} not one of {list(IMPLEMENTATION_STATUSES)}"
    year = record["year"]
    if _missing(year) or not isinstance(year, int | float | np.integer) or not 1980 <= year <= 2100:
        return "year", f"{year!r} is not a year between 1980 and 2100"
    for column in _NUMERIC_OUTCOME:
        value = record[column]
        if _missing(value):
            continue
        if not isinstance(value, int | float | np.number) or not math.isfinite(float(value)):
            return column, f"{value!r} is not a finite number"
    cost = record["implementation_cost"]
    if not _missing(cost) and float(cost) < 0:  # type: ignore[arg-type]
        return "implementation_cost", f"{cost!r} is negative; allowed >= 0"
    for carrier, column in SAVED_COLUMN.items():
        value = record.get(column)
        if not _missing(value) and abs(float(value)) > PLAUSIBLE_MAX[carrier]:  # type: ignore[arg-type]
            return column, (
                f"{value!r} is beyond the plausibility limit of one site "
                f"({PLAUSIBLE_MAX[carrier]:.0e} {CANONICAL_UNIT[carrier]}/yr): a unit mistake"
            )
    for column, limit in _PLAUSIBLE_OUTCOME.items():
        value = record.get(column)
        if not _missing(value) and abs(float(value)) > limit:  # type: ignore[arg-type]
            return column, f"{value!r} is beyond the plausibility limit {limit:.0e} of one site"
    return None


#: ASSUMPTION: one site's measure cannot save more than 1e8 tCO2e/yr (the largest single
#: plants emit tens of Mt) nor cost or save more than 1e12 in any currency.
_PLAUSIBLE_OUTCOME = {"tco2e_saved": 1e8, "cost_savings_per_year": 1e12,
                      "implementation_cost": 1e12}  # fmt: skip
