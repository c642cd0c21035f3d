"""What a factory reports it did with a recommended measure, as the API takes it and answers it:
the report (status, dates, measured savings per carrier over a stated period, actual capex,
the profile it was recommended for), its checks, and a stored outcome as returned. The store
itself (SQLAlchemy, Alembic) is :mod:`features.sources.outcome_store`; this module imports
neither, so the HTTP service loads them only when an outcome is first stored or read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from features.catalogue.measures import Catalogue
from features.errors import DecarbError, InvalidValueError
from features.profile import (
    CurrencyCode,
    EnergyQuantity,
    FactoryProfile,
    ProfileJson,
    invalid_value,
    parse_profile,
)
from features.units import CURRENCIES, PROFILE_FIELD, Carrier, to_canonical

#: The outcomes table's column of energy saved per carrier (canonical unit per year).
SAVED_COLUMN: dict[Carrier, str] = {c: f"{PROFILE_FIELD[c]}_saved" for c in Carrier}

Status = Literal["planned", "implemented", "rejected"]
STATUSES: tuple[str, ...] = ("planned", "implemented", "rejected")
DAYS_PER_YEAR = 365.25
#: Shortest measurement period that is annualised (a week of metering says little of a year).
MIN_PERIOD_DAYS = 7


class IdempotencyConflictError(DecarbError, ValueError):
    """An idempotency key was used before with a different report."""


def _not_bool(value: Any, info: ValidationInfo) -> Any:
    """Refuse true/false where a number goes (pydantic would read them as 1 and 0); ``Any``:
    the raw value."""
    if isinstance(value, bool):
        raise InvalidValueError(str(info.field_name), value, "a number")
    return value


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

    _numbers = field_validator(
        "cv_rmse",
        "nmbe",
        "r2",
        "n_baseline",
        "fractional_uncertainty",
        "confidence",
        mode="before",
    )(_not_bool)


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
    currency: CurrencyCode | None = Field(
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
    profile: ProfileJson = Field(
        description="The factory's profile as submitted for the recommendation (same fields as "
        "/v1/recommendations); stored with the outcome so it is a training row."
    )

    _numbers = field_validator("actual_capex", mode="before")(_not_bool)

    @field_validator("decided_on", "implemented_on", "period_start", "period_end", mode="before")
    @classmethod
    def _date_text(cls, value: Any, info: ValidationInfo) -> Any:
        # Any: raw input; pydantic would read a number as seconds since 1970.
        if isinstance(value, int | float):
            raise InvalidValueError(str(info.field_name), value, "a date, YYYY-MM-DD")
        return value

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
                    "period_end",
                    str(self.period_end),
                    f"at least {MIN_PERIOD_DAYS} days after period_start",
                )
        if self.currency is not None and self.currency not in CURRENCIES:
            raise InvalidValueError("currency", self.currency, list(CURRENCIES))
        seen: set[Carrier] = set()
        for i, q in enumerate(self.measured_savings):
            if q.carrier in seen:
                raise InvalidValueError(
                    f"measured_savings[{i}].carrier", q.carrier.value, "each carrier once"
                )
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
        raise InvalidValueError(
            "profile.factory_id",
            profile.factory_id,
            f"the report's factory_id {report.factory_id!r}",
        )
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
    def of(cls, row: Any, replayed: bool = False) -> StoredOutcome:
        # Any: a StoredOutcomeRow of features.sources.outcome_store (SQLAlchemy stays there)
        created = row.created_at
        if created.tzinfo is None:  # SQLite keeps no zone; the store writes UTC
            created = created.replace(tzinfo=UTC)
        return cls(
            id=row.id,
            created_at=created,
            replayed=replayed,
            factory_id=row.factory_id,
            measure_id=row.measure_id,
            status=row.status,
            reason=row.reason,
            decided_on=row.decided_on,
            implemented_on=row.implemented_on,
            period_start=row.period_start,
            period_end=row.period_end,
            annual_savings=dict(row.annual_savings),
            actual_capex=row.actual_capex,
            currency=row.currency,
            model_version=row.model_version,
            verification=None
            if row.verification is None
            else OutcomeVerification.model_validate(row.verification),
        )
