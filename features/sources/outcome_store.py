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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any, Literal

import pandas as pd
from alembic import command
from alembic.config import Config
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
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
from features.errors import DecarbError, InvalidValueError
from features.profile import (
    EnergyQuantity,
    FactoryProfile,
    invalid_value,
    parse_profile,
    profiles_to_frame,
)
from features.sources.schema import SAVED_COLUMN, DataReport, Dataset, fingerprint, outcome_tco2e
from features.units import CURRENCIES, Carrier, to_canonical

Status = Literal["planned", "implemented", "rejected"]
STATUSES: tuple[str, ...] = ("planned", "implemented", "rejected")
#: How a reported status reads as a training outcome's implementation status.
TRAINING_STATUS = {
    "implemented": "implemented",
    "rejected": "not_implemented",
    "planned": "pending",
}
DAYS_PER_YEAR = 365.25
#: Shortest measurement period that is annualised (a week of metering says little of a year).
MIN_PERIOD_DAYS = 7
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class IdempotencyConflictError(DecarbError, ValueError):
    """An idempotency key was used before with a different report."""


class VerifiedCarrierFit(BaseModel):
    """How one carrier's measured savings were verified: the baseline fit (ASHRAE Guideline 14)
    and the verdict (see ``features.verification``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    carrier: Carrier
    form: str = Field(max_length=64, description="Baseline model form, e.g. production_hdd.")
    cv_rmse: float = Field(description="CV(RMSE) of the baseline fit, a fraction.")
    nmbe: float = Field(description="Normalised mean bias error, a fraction.")
    r2: float
    n_baseline: int = Field(ge=0, description="Baseline periods fitted.")
    fractional_uncertainty: float = Field(
        ge=0, description="Half-width of the savings at `confidence` over the savings."
    )
    confidence: float = Field(ge=0.5, le=0.99)
    verdict: Literal["verified", "not_verifiable", "no_savings_detected"]


class OutcomeVerification(BaseModel):
    """The fit behind measured savings that came from metered data (IPMVP Option C)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    carriers: list[VerifiedCarrierFit] = Field(min_length=1, max_length=len(Carrier))


class OutcomeReport(BaseModel):
    """What a factory did with one recommended measure, and what it measured."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)

    factory_id: str = Field(min_length=1, max_length=128)
    measure_id: str = Field(description="Catalogue measure id (GET /v1/measures).")
    status: Status = Field(description="planned, implemented or rejected.")
    reason: str | None = Field(
        default=None, max_length=2000, description="Why it was rejected (required then)."
    )
    decided_on: date | None = Field(default=None, description="When the factory decided.")
    implemented_on: date | None = Field(default=None, description="When it went into service.")
    period_start: date | None = Field(
        default=None, description="First day of the metering period of measured_savings."
    )
    period_end: date | None = Field(
        default=None, description="Last day of the metering period (inclusive)."
    )
    measured_savings: list[EnergyQuantity] = Field(
        default_factory=list,
        description="Energy saved over the period, per carrier, in any supported unit "
        "(negative = more used); annualised by the period's length.",
    )
    actual_capex: float | None = Field(default=None, ge=0, description="In `currency`.")
    currency: str | None = Field(
        default=None, description="Currency of actual_capex; default the profile's."
    )
    model_version: str | None = Field(
        default=None, max_length=64, description="Model version that recommended it."
    )
    verification: OutcomeVerification | None = Field(
        default=None,
        description="When measured_savings come from metered data: the baseline fit and "
        "verdict per carrier (features.verification).",
    )
    profile: dict[str, Any] = Field(
        description="The factory's profile as submitted for the recommendation (same fields as "
        "/v1/recommendations); stored with the outcome so it is a training row."
    )  # Any: raw JSON, validated by parse_profile

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeReport:
        if self.status == "rejected" and not (self.reason or "").strip():
            raise InvalidValueError("reason", self.reason, "a reason when status is rejected")
        if self.status != "implemented" and self.measured_savings:
            raise InvalidValueError(
                "measured_savings", "(given)", "savings only when status is implemented"
            )
        if self.measured_savings and (self.period_start is None or self.period_end is None):
            raise InvalidValueError(
                "period_start", self.period_start, "the metering period of measured_savings"
            )
        if self.period_start and self.period_end:
            days = (self.period_end - self.period_start).days + 1
            if days < MIN_PERIOD_DAYS:
                raise InvalidValueError(
                    "period_end", str(self.period_end),
                    f"at least {MIN_PERIOD_DAYS} days after period_start",
                )  # fmt: skip
        if self.currency is not None and self.currency not in CURRENCIES:
            raise InvalidValueError("currency", self.currency, list(CURRENCIES))
        seen: set[Carrier] = set()
        for i, q in enumerate(self.measured_savings):
            if q.carrier in seen:
                raise InvalidValueError(f"measured_savings[{i}].carrier", q.carrier.value,
                                        "each carrier once")  # fmt: skip
            seen.add(q.carrier)
        return self


@dataclass(frozen=True)
class CheckedReport:
    """A report with its profile validated and its savings annualised in canonical units."""

    report: OutcomeReport
    profile: FactoryProfile
    annual_savings: dict[Carrier, float]
    currency: str


def check_report(data: dict[str, Any], catalogue: Catalogue | None = None) -> CheckedReport:
    """Validate a raw report (``Any``: raw JSON). Every error names its field."""
    try:
        report = OutcomeReport.model_validate(data)
    except ValidationError as exc:
        raise invalid_value(exc, OutcomeReport, "outcome") from None
    catalogue = catalogue or Catalogue.default()
    if report.measure_id not in catalogue.measures:
        raise InvalidValueError("measure_id", report.measure_id, sorted(catalogue.measures))
    try:
        profile = parse_profile(report.profile)
    except InvalidValueError as exc:
        raise InvalidValueError(f"profile.{exc.field}", exc.value, exc.allowed) from None
    if profile.factory_id != report.factory_id:
        raise InvalidValueError("profile.factory_id", profile.factory_id,
                                f"the report's factory_id {report.factory_id!r}")  # fmt: skip
    annual: dict[Carrier, float] = {}
    if report.measured_savings and report.period_start and report.period_end:
        days = (report.period_end - report.period_start).days + 1
        for i, q in enumerate(report.measured_savings):
            try:
                canonical = to_canonical(q.carrier, q.value, q.unit)
            except InvalidValueError as exc:
                raise InvalidValueError(
                    f"measured_savings[{i}].unit", q.unit, exc.allowed
                ) from None
            annual[q.carrier] = canonical * DAYS_PER_YEAR / days
    return CheckedReport(report, profile, annual, report.currency or profile.revenue_currency)


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


class StoredOutcome(BaseModel):
    """A stored outcome as the API returns it."""

    model_config = ConfigDict(frozen=True)

    id: int
    created_at: datetime
    replayed: bool = Field(
        default=False, description="True when this request repeated one already stored."
    )
    factory_id: str
    measure_id: str
    status: str
    reason: str | None
    decided_on: date | None
    implemented_on: date | None
    period_start: date | None
    period_end: date | None
    annual_savings: dict[str, float] = Field(
        description="Measured savings annualised, per carrier, canonical unit per year (kWh; GJ)."
    )
    actual_capex: float | None
    currency: str
    model_version: str | None
    verification: OutcomeVerification | None = None

    @classmethod
    def of(cls, row: StoredOutcomeRow, replayed: bool = False) -> StoredOutcome:
        created = row.created_at
        if created.tzinfo is None:  # SQLite keeps no zone; the store writes UTC
            created = created.replace(tzinfo=UTC)
        return cls(
            id=row.id, created_at=created, replayed=replayed, factory_id=row.factory_id,
            measure_id=row.measure_id, status=row.status, reason=row.reason,
            decided_on=row.decided_on, implemented_on=row.implemented_on,
            period_start=row.period_start, period_end=row.period_end,
            annual_savings=dict(row.annual_savings), actual_capex=row.actual_capex,
            currency=row.currency, model_version=row.model_version,
            verification=None if row.verification is None
            else OutcomeVerification.model_validate(row.verification),
        )  # fmt: skip


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
            raise InvalidValueError("Idempotency-Key", idempotency_key[:200],
                                    "1-128 characters of A-Z a-z 0-9 . _ : -")  # fmt: skip
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
            records.append({
                "outcome_id": f"store-{row.id}", "factory_id": fid, "measure_id": row.measure_id,
                "arc_code": None, "measure_group": measure.family.value,
                "year": when.year if when else profile.reporting_year,
                **(saved if row.status == "implemented" and row.annual_savings
                   else dict.fromkeys(SAVED_COLUMN.values(), math.nan)),
                "demand_kw_months_saved": math.nan,
                "cost_savings_per_year": math.nan,
                "implementation_cost": row.actual_capex if row.actual_capex is not None
                else math.nan,
                "currency": row.currency,
                "implementation_status": TRAINING_STATUS[row.status],
                "implemented": implemented,
                "streams_complete": bool(row.annual_savings),
                "provenance": "outcomes",
            })  # fmt: skip
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
