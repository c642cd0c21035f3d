"""What factories report they did with a recommended measure, kept so the next model learns
from it: the report (status, dates, measured savings per carrier over a stated period, actual
capex) with the profile the factory submitted, so every stored outcome is a training row.

Stored through SQLAlchemy 2 with Alembic migrations (``features/sources/migrations``): a SQLite
file by default, PostgreSQL in production (``postgresql+psycopg://...``)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.outcomes import (
    SAVED_COLUMN,
    STATUSES,
    CheckedReport,
    IdempotencyConflictError,
    OutcomeReport,
    OutcomeVerification,
    Status,
    StoredOutcome,
    VerifiedCarrierFit,
    check_report,
)
from features.profile import FactoryProfile, profiles_to_frame
from features.sources.schema import DataReport, Dataset, fingerprint, outcome_tco2e
from features.units import Carrier

#: How a reported status reads as a training outcome's implementation status.
TRAINING_STATUS = {
    "implemented": "implemented",
    "rejected": "not_implemented",
    "planned": "pending",
}
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The report's schemas live in features.outcomes (no SQLAlchemy there); named here as before.
__all__ = [
    "STATUSES", "CheckedReport", "IdempotencyConflictError", "OutcomeReport", "OutcomeStore",
    "OutcomeVerification", "Status", "StoredOutcome", "VerifiedCarrierFit", "check_report",
    "migrate", "safe_url",
]  # fmt: skip


class _Base(DeclarativeBase):
    pass


class StoredOutcomeRow(_Base):
    """One reported outcome (the table ``reported_outcomes``)."""

    __tablename__ = "reported_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), unique=True)
    factory_id: Mapped[str] = mapped_column(String(128), index=True)
    measure_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    implemented_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    measured_savings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # as reported
    annual_savings: Mapped[dict[str, float]] = mapped_column(JSON)  # canonical unit per year
    actual_capex: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)  # validated, canonical
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    config = Config()
    location = resources.files("features.sources").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


class OutcomeStore:
    """Reported outcomes in the database at ``url`` (migrated on open)."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = url
        if migrate_schema:
            migrate(url)
        self.engine: Engine = create_engine(url, pool_pre_ping=True)

    def close(self) -> None:
        self.engine.dispose()

    def add(
        self, checked: CheckedReport, idempotency_key: str | None = None
    ) -> tuple[StoredOutcome, bool]:
        """Store a report; returns (stored, created). A replay (same key, or without a key
        the same report) returns what was stored the first time; a key reused with another
        report is an :class:`IdempotencyConflictError`."""
        if idempotency_key is not None and not _KEY.fullmatch(idempotency_key):
            raise InvalidValueError(
                "Idempotency-Key", idempotency_key[:200], "1-128 characters of A-Z a-z 0-9 . _ : -"
            )
        body = checked.report.model_dump(mode="json")
        if body["verification"] is None:  # hashes of reports without one stay as before 0002
            del body["verification"]
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with Session(self.engine) as session:
            found = self._replay(session, idempotency_key, digest)
            if found is not None:
                return found, False
            r = checked.report
            row = StoredOutcomeRow(
                idempotency_key=idempotency_key, request_hash=digest, factory_id=r.factory_id,
                measure_id=r.measure_id, status=r.status, reason=r.reason,
                decided_on=r.decided_on, implemented_on=r.implemented_on,
                period_start=r.period_start, period_end=r.period_end,
                measured_savings=body["measured_savings"],
                annual_savings={c.value: v for c, v in checked.annual_savings.items()},
                actual_capex=r.actual_capex, currency=checked.currency,
                model_version=r.model_version, verification=body.get("verification"),
                profile=json.loads(checked.profile.model_dump_json()),
                created_at=datetime.now(UTC),
            )  # fmt: skip
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same report raced in from another request
                session.rollback()
                found = self._replay(session, idempotency_key, digest)
                if found is None:
                    raise
                return found, False
            return StoredOutcome.of(row), True

    def _replay(self, session: Session, key: str | None, digest: str) -> StoredOutcome | None:
        if key is not None:
            row = session.scalars(
                select(StoredOutcomeRow).where(StoredOutcomeRow.idempotency_key == key)
            ).first()
            if row is not None:
                if row.request_hash != digest:
                    raise IdempotencyConflictError(
                        f"Idempotency-Key {key!r} was used for another report (outcome {row.id})"
                    )
                return StoredOutcome.of(row, replayed=True)
        row = session.scalars(
            select(StoredOutcomeRow).where(StoredOutcomeRow.request_hash == digest)
        ).first()
        return None if row is None else StoredOutcome.of(row, replayed=True)

    def page(
        self,
        *,
        factory_id: str | None = None,
        measure_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredOutcome], int]:
        """A page of stored outcomes, oldest first, and how many match in all."""
        query = select(StoredOutcomeRow)
        if factory_id is not None:
            query = query.where(StoredOutcomeRow.factory_id == factory_id)
        if measure_id is not None:
            query = query.where(StoredOutcomeRow.measure_id == measure_id)
        if status is not None:
            query = query.where(StoredOutcomeRow.status == status)
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(StoredOutcomeRow.id).offset(offset).limit(limit)
            ).all()
            return [StoredOutcome.of(r) for r in rows], int(total)

    def dataset(
        self, table: FactorTable | None = None, catalogue: Catalogue | None = None
    ) -> Dataset:
        """Every stored outcome as training tables: each outcome's own profile is its factory
        row (a factory reporting twice with different profiles gives two rows, ids suffixed),
        savings annualised, planned outcomes kept with status pending."""
        table = table or FactorTable.default()
        catalogue = catalogue or Catalogue.default()
        with Session(self.engine) as session:
            rows = session.scalars(select(StoredOutcomeRow).order_by(StoredOutcomeRow.id)).all()
        profiles: dict[str, FactoryProfile] = {}
        ids_of: dict[str, str] = {}
        records: list[dict[str, Any]] = []
        for row in rows:
            profile = FactoryProfile.model_validate(row.profile)
            key = json.dumps(row.profile, sort_keys=True)
            if key not in ids_of:
                fid = row.factory_id
                n = sum(1 for p in profiles.values() if p.factory_id == row.factory_id)
                if n:
                    fid = f"{row.factory_id}~{n + 1}"
                    profile = profile.model_copy(update={"factory_id": fid})
                ids_of[key] = fid
                profiles[fid] = profile
            fid = ids_of[key]
            measure = catalogue.measures[row.measure_id]
            saved = {SAVED_COLUMN[c]: row.annual_savings.get(c.value, 0.0) for c in Carrier}
            implemented = {"implemented": True, "rejected": False}.get(row.status)
            when = row.period_end or row.implemented_on or row.decided_on
            records.append(
                {
                    "outcome_id": f"store-{row.id}",
                    "factory_id": fid,
                    "measure_id": row.measure_id,
                    "arc_code": None,
                    "measure_group": measure.family.value,
                    "year": when.year if when else profile.reporting_year,
                    **(
                        saved
                        if row.status == "implemented" and row.annual_savings
                        else dict.fromkeys(SAVED_COLUMN.values(), math.nan)
                    ),
                    "demand_kw_months_saved": math.nan,
                    "cost_savings_per_year": math.nan,
                    "implementation_cost": row.actual_capex
                    if row.actual_capex is not None
                    else math.nan,
                    "currency": row.currency,
                    "implementation_status": TRAINING_STATUS[row.status],
                    "implemented": implemented,
                    "streams_complete": bool(row.annual_savings),
                    "provenance": "outcomes",
                }
            )
        factories = profiles_to_frame(list(profiles.values()))
        outcomes = pd.DataFrame.from_records(records)
        if len(outcomes):
            outcomes["tco2e_saved"] = outcome_tco2e(outcomes, factories, table)
        report = DataReport(
            source="outcomes",
            detail=safe_url(self.url),
            rows_in={"factories": len(factories), "outcomes": len(rows)},
            rows_used={"factories": len(factories), "outcomes": len(outcomes)},
            notes=[f"outcomes by status: {_counts(records, 'implementation_status')}"],
        )
        report.check_balance()
        report.fingerprint = fingerprint(factories, outcomes)
        return Dataset(factories=factories, outcomes=outcomes, truth=None, report=report)


def _counts(records: list[dict[str, Any]], column: str) -> str:
    counts: dict[str, int] = {}
    for r in records:
        counts[str(r[column])] = counts.get(str(r[column]), 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def safe_url(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
