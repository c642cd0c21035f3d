"""``/v1/outcomes``: factories report what they did with a recommended measure (write role);
admins page through what was reported. The store opens, and migrates, on first use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from features import bounds
from features.errors import InvalidValueError
from features.sources.outcome_store import (
    STATUSES,
    CheckedReport,
    IdempotencyConflictError,
    OutcomeReport,
    OutcomeStore,
    StoredOutcome,
    check_report,
)
from serving.auth import AdminAccess, WriteAccess
from serving.errors import ConflictError, StoreUnavailableError, error_responses
from serving.settings import Settings

logger = logging.getLogger("decarb.serving")
T = TypeVar("T")


class OutcomePage(BaseModel):
    """One page of stored outcomes."""

    items: list[StoredOutcome]
    total: int = Field(description="Outcomes matching the filters, all pages.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; None on the last.")


class StoreHolder:
    """Opens the outcomes store once, on first use (so a service that never receives an
    outcome never creates a database file)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: OutcomeStore | None = None
        self._lock = threading.Lock()

    def get(self) -> OutcomeStore:
        with self._lock:
            if self._store is None:
                self._store = OutcomeStore(self.url)
            return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def reset(self) -> None:
        """Forget the open store: the next use opens it again and migrates (a database that
        was recreated empty gets its tables back without a restart)."""
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    async def run(self, work: Callable[[OutcomeStore], T]) -> T:
        """``work(store)`` in a thread; a database that does not answer (unreachable, or its
        tables gone) is a :class:`StoreUnavailableError` (503 with Retry-After), the store is
        reset for the next request, and the log line names the error type only (never the
        statement or its parameters, which hold submitted data)."""
        try:
            store = await run_in_threadpool(self.get)
            return await run_in_threadpool(work, store)
        except (OperationalError, ProgrammingError, InterfaceError) as exc:
            self.reset()
            cause = type(getattr(exc, "orig", None) or exc).__name__
            logger.warning("outcomes store unavailable", extra={"error_type": cause})
            raise StoreUnavailableError(
                f"the outcomes store did not answer ({cause}); nothing was stored, retry "
                f"after {StoreUnavailableError.headers['Retry-After']} s"
            ) from None


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


def _refuse_nul(value: Any, field: str) -> None:
    """Refuse text holding NUL characters, naming the field (databases refuse them: PostgreSQL
    text cannot store U+0000)."""
    if isinstance(value, str):
        if "\x00" in value:
            shown = value.replace("\x00", "\\u0000")[:80]
            raise InvalidValueError(field or "body", shown, "text without NUL (U+0000) characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(str(key), f"{field}.{key}" if field else str(key))
            _refuse_nul(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_nul(item, f"{field}[{i}]")


def _check_numbers(checked: CheckedReport) -> None:
    """The report's own numbers within their plausible ranges (its profile's were checked when
    it was parsed): capex as money in its currency, each saving once annualised."""
    bounds.money(checked.currency).check("actual_capex", checked.report.actual_capex)
    for i, quantity in enumerate(checked.report.measured_savings):
        bounds.check_annual_savings(
            f"measured_savings[{i}].value", quantity.carrier, quantity.value,
            checked.annual_savings[quantity.carrier],
        )  # fmt: skip


def checked_submission(submitted: dict[str, Any]) -> CheckedReport:
    """A submitted report (raw JSON, ``Any``) checked as ``POST /v1/outcomes`` checks it: no
    NUL characters, the report and its profile valid, its numbers within plausible ranges."""
    _refuse_nul(submitted, "")
    checked = check_report(submitted)
    _check_numbers(checked)
    return checked


def router(settings: Settings, holder: StoreHolder) -> APIRouter:
    """The outcome routes over the store in ``holder``."""
    api = APIRouter(tags=["outcomes"])

    @api.post(
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
        _: WriteAccess,
        idempotency_key: Annotated[
            str | None,
            Header(description="Makes retries safe: the same key with the same report answers "
                   "what was stored; with another report, 409."),
        ] = None,
    ) -> StoredOutcome:  # fmt: skip
        """Report what a factory did with one measure: planned, implemented (with measured
        savings per carrier over a stated period and actual capex) or rejected with a reason.
        The profile is stored with it, so the next training learns from it."""
        checked = checked_submission(body.model_dump(mode="json", exclude_unset=True))
        try:
            stored, created = await holder.run(lambda store: store.add(checked, idempotency_key))
        except IdempotencyConflictError as exc:
            raise ConflictError(str(exc)) from None
        response.status_code = 201 if created else 200
        return stored

    @api.get(
        "/v1/outcomes",
        response_model=OutcomePage,
        responses=error_responses(401, 403, 422, 429, 503),
    )
    async def list_outcomes(
        _: AdminAccess,
        factory_id: Annotated[str | None, Query(max_length=128)] = None,
        measure_id: Annotated[str | None, Query(max_length=64)] = None,
        status: Annotated[str | None, Query(description=f"One of {', '.join(STATUSES)}.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> OutcomePage:
        """Stored outcomes, oldest first, filtered by factory, measure or status (admin)."""
        if status is not None and status not in STATUSES:
            raise InvalidValueError("status", status, STATUSES)
        items, total = await holder.run(
            lambda store: store.page(factory_id=factory_id, measure_id=measure_id,
                                     status=status, limit=limit, offset=offset)
        )  # fmt: skip
        following = offset + len(items)
        return OutcomePage(items=items, total=total, limit=limit, offset=offset,
                           next_offset=following if following < total else None)  # fmt: skip

    return api
