"""``/v1/outcomes``: factories report what they did with a recommended measure (write role);
admins page through what was reported. The store opens, and migrates, on first use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from features.outcomes import (
    STATUSES,
    IdempotencyConflictError,
    OutcomeReport,
    Status,
    StoredOutcome,
)
from serving.deps import AdminAccess, Wired, WriteAccess
from serving.errors import ConflictError, error_responses
from serving.outcomes import checked_submission

router = APIRouter(tags=["outcomes"])


class OutcomePage(BaseModel):
    """One page of stored outcomes."""

    items: list[StoredOutcome]
    total: int = Field(description="Outcomes matching the filters, all pages.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; None on the last.")


class OutcomeFilter(BaseModel):
    """Which stored outcomes to list (query parameters of ``GET /v1/outcomes``)."""

    factory_id: str | None = Field(default=None, max_length=128)
    measure_id: str | None = Field(default=None, max_length=64)
    status: Status | None = Field(default=None, description=f"One of {', '.join(STATUSES)}.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


EXAMPLE_REPORT: dict[str, Any] = {
    "factory_id": "plant-7", "measure_id": "compressed_air_leak_repair",
    "status": "implemented", "implemented_on": "2026-03-01",
    "period_start": "2026-03-01", "period_end": "2026-08-31",
    "measured_savings": [{"carrier": "electricity", "value": 21.5, "unit": "万kWh"}],
    "actual_capex": 38000, "currency": "CNY", "model_version": "3",
    "profile": {"factory_id": "plant-7", "country": "CN", "region": "Guangdong",
                "sector": "electronics_appliances", "reporting_year": 2025,
                "electricity_kwh": 8.5e6},
}  # fmt: skip


#: Keys the store takes (features.sources.outcome_store checks them, naming what is allowed;
#: the schema says the same, tests/serving/test_outcomes.py keeps the two equal).
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
#: The ``Idempotency-Key`` header.
IdempotencyKey = Annotated[
    str | None,
    Header(
        description="Makes retries safe: the same key with the same report answers what "
        "was stored; with another report, 409. 1-128 characters of A-Z a-z 0-9 . _ : -",
        json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
    ),
]


@router.post(
    "/v1/outcomes",
    response_model=StoredOutcome,
    status_code=201,
    responses={
        200: {"model": StoredOutcome, "description": "A replay: what was stored before."},
        **error_responses(400, 401, 403, 405, 409, 413, 422, 429, 503),
    },
    openapi_extra={"requestBody": {"content": {"application/json": {
        "example": EXAMPLE_REPORT}}}},
)  # fmt: skip
async def report_outcome(
    body: OutcomeReport,
    response: Response,
    service: Wired,
    _: WriteAccess,
    idempotency_key: IdempotencyKey = None,
) -> StoredOutcome:
    """Report what a factory did with one measure: planned, implemented (with measured
    savings per carrier over a stated period and actual capex) or rejected with a reason.
    The profile is stored with it, so the next training learns from it."""
    checked = checked_submission(body.model_dump(mode="json", exclude_unset=True))
    try:
        stored, created = await service.store.run(lambda store: store.add(checked, idempotency_key))
    except IdempotencyConflictError as exc:
        raise ConflictError(str(exc)) from None
    response.status_code = 201 if created else 200
    return stored


@router.get(
    "/v1/outcomes",
    response_model=OutcomePage,
    responses=error_responses(401, 403, 422, 429, 503),
)
async def list_outcomes(
    _: AdminAccess, service: Wired, query: Annotated[OutcomeFilter, Query()]
) -> OutcomePage:
    """Stored outcomes, oldest first, filtered by factory, measure or status (admin)."""
    items, total = await service.store.run(
        lambda store: store.page(
            factory_id=query.factory_id,
            measure_id=query.measure_id,
            status=query.status,
            limit=query.limit,
            offset=query.offset,
        )
    )
    following = query.offset + len(items)
    return OutcomePage(
        items=items,
        total=total,
        limit=query.limit,
        offset=query.offset,
        next_offset=following if following < total else None,
    )
