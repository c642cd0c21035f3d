"""The three training tables, the data report, and the dataset every source returns.

- ``factories``: one row per factory, the columns of :data:`features.profile.PROFILE_COLUMNS`
  plus optional ``x_*`` source columns (e.g. ``x_center``), which models may ignore.
- ``outcomes``: one row per factory and assessed measure (:data:`OUTCOME_COLUMNS`).
- ``truth``: generated data only; the true effect of every applicable (factory, measure) pair
  (:data:`TRUTH_COLUMNS`). Never used by the models; only by evaluation.

Energy savings are in the carrier's canonical unit per year (kWh; GJ LHV; GJ heat); positive means
less energy used, negative means more (e.g. electricity of an electrification measure).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from features import outcomes
from features.accounting.factors import FactorTable
from features.regions import Country
from features.units import PROFILE_FIELD, Carrier

#: Column holding the energy saved on each carrier, per year, canonical unit (defined with the
#: reported outcomes, :mod:`features.outcomes`).
SAVED_COLUMN: dict[Carrier, str] = outcomes.SAVED_COLUMN

IMPLEMENTATION_STATUSES: tuple[str, ...] = (
    "implemented",
    "not_implemented",
    "pending",
    "unknown",
    "not_reported",
)

#: Outcome columns and their meaning (units in the text).
OUTCOME_COLUMNS: dict[str, str] = {
    "outcome_id": "unique id of the recommendation",
    "factory_id": "factory the measure was assessed for",
    "measure_id": "catalogue measure id; empty when only the coarse group is known",
    "arc_code": "IAC ARC code with 4 decimals, when known",
    "measure_group": "coarse group, always filled (catalogue family, or IAC rounded-ARC group)",
    "year": "year of the assessment",
    **{
        col: f"{c.value} saved per year, {PROFILE_FIELD[c].rsplit('_', 1)[1]}"
        for c, col in SAVED_COLUMN.items()
    },
    "demand_kw_months_saved": "electrical demand saved, kW-months per year",
    "tco2e_saved": "tCO2e/yr avoided (location-based, factory's own factors); negative = more",
    "cost_savings_per_year": "annual cost savings, in `currency`",
    "implementation_cost": "implementation (capital + other) cost, in `currency`",
    "currency": "currency of the money columns",
    "implementation_status": "one of " + ", ".join(IMPLEMENTATION_STATUSES),
    "implemented": "True/False where the status is known, empty otherwise",
    "streams_complete": "False when only the primary savings stream is known",
}

TRUTH_COLUMNS: dict[str, str] = {
    "factory_id": "factory",
    "measure_id": "catalogue measure (every physical measure applicable to the factory)",
    **{f"true_{col}": "true expected saving, canonical unit/yr" for col in SAVED_COLUMN.values()},
    "true_tco2e_saved": "true expected tCO2e/yr avoided",
    "true_cost_savings_per_year": "true expected annual cost savings",
    "true_implementation_cost": "true expected implementation cost",
    "true_adoption_probability": "probability the factory adopts the measure once recommended",
    "recommended": "whether the simulated auditor recommended it (i.e. it is in outcomes)",
}


@dataclass
class DataReport:
    """What a source read, used and rejected, and a fingerprint of the result."""

    source: str
    detail: str
    rows_in: dict[str, int]
    rows_used: dict[str, int]
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["table", "row", "id", "column", "reason"])
    )
    repaired: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["table", "row", "id", "column", "reason"])
    )
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    #: Year whose price level the money columns are stated in (their currency is in each
    #: table's ``currency`` column); None when the source does not say (e.g. files as given).
    money_base_year: int | None = None

    def rows_rejected(self, table: str) -> int:
        """Number of rejected rows of ``table``."""
        return int((self.rejected["table"] == table).sum()) if len(self.rejected) else 0

    def check_balance(self) -> None:
        """Raise if any table's rows in != rows used + rows rejected."""
        for table, n_in in self.rows_in.items():
            used, rejected = self.rows_used.get(table, 0), self.rows_rejected(table)
            if n_in != used + rejected:
                raise AssertionError(
                    f"{table}: {n_in} rows in != {used} used + {rejected} rejected"
                )

    def summary(self) -> str:
        """Human-readable report: counts per table, rejections and repairs by reason."""
        lines = [f"source: {self.source} ({self.detail})", f"fingerprint: {self.fingerprint}"]
        if self.money_base_year is not None:
            lines.append(f"money: prices of {self.money_base_year}")
        for table, n_in in self.rows_in.items():
            lines.append(
                f"{table}: {n_in:,} rows in = {self.rows_used.get(table, 0):,} used + "
                f"{self.rows_rejected(table):,} rejected"
            )
        for title, frame in (("rejected", self.rejected), ("repaired", self.repaired)):
            if len(frame):
                lines.append(f"{title} rows by reason:")
                counts = frame.groupby(["table", "reason"]).size().sort_values(ascending=False)
                for (table, reason), n in zip(counts.index, counts.to_numpy(), strict=True):
                    lines.append(f"  {table}: {n:,}  {reason}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


@dataclass
class Dataset:
    """The tables a source produced, and its report."""

    factories: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame | None
    report: DataReport


def fingerprint(*frames: pd.DataFrame | None) -> str:
    """SHA-256 over the contents of the tables (row order and column names included)."""
    digest = hashlib.sha256()
    for frame in frames:
        if frame is None:
            digest.update(b"<none>")
            continue
        digest.update(",".join(map(str, frame.columns)).encode())
        # Row hashes are independent of each other: hashed a slice of rows at a time, the
        # digest is the same, without object copies of whole text columns (the peak memory of
        # generating 100k factories otherwise).
        for start in range(0, len(frame), _FINGERPRINT_ROWS):
            rows = frame.iloc[start : start + _FINGERPRINT_ROWS]
            digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


_FINGERPRINT_ROWS = 250_000


def outcome_tco2e(outcomes: pd.DataFrame, factories: pd.DataFrame, table: FactorTable) -> pd.Series:
    """tCO2e/yr avoided per outcome: savings per carrier times the factory's location-based
    factors for its region and the outcome's year (one factor lookup per distinct key)."""
    info = factories.set_index(factories["factory_id"].astype(str))
    fids = outcomes["factory_id"].astype(str)
    countries = fids.map(info["country"].astype(str))
    regions = fids.map(info["region"].astype(str))
    years = pd.to_numeric(outcomes["year"], errors="coerce")
    years = years.fillna(fids.map(info["reporting_year"]).astype(float)).astype(int)
    keys = list(zip(countries, regions, years, strict=True))
    total = pd.Series(0.0, index=outcomes.index)
    for carrier in Carrier:
        saved = pd.to_numeric(outcomes[SAVED_COLUMN[carrier]], errors="coerce").fillna(0.0)
        if not (saved != 0).any():
            continue
        lookup = {
            key: table.resolve(carrier, Country(key[0]), key[1], int(key[2])).kgco2e_per_unit
            for key in set(keys)
        }
        total += saved * [lookup[key] for key in keys] / 1000
    return total


def implemented_from_status(status: pd.Series) -> pd.Series:
    """True/False for implemented/not implemented; missing for pending, unknown, not reported."""
    known = status.map({"implemented": True, "not_implemented": False})
    return known.astype("boolean")


def rejection_frame(rows: list[tuple[str, int, str, str, str]]) -> pd.DataFrame:
    """Build a rejection/repair frame from ``(table, row, id, column, reason)`` tuples."""
    return pd.DataFrame(rows, columns=["table", "row", "id", "column", "reason"])
