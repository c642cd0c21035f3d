"""The outcomes store as the service uses it: opened, and migrated, on first use (SQLAlchemy and
Alembic are imported then, not with the app), and a submitted report checked as ``POST
/v1/outcomes`` checks it (:mod:`serving.routes.outcomes`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi.concurrency import run_in_threadpool

from features import bounds
from features.errors import InvalidValueError
from features.outcomes import CheckedReport, check_report
from serving.errors import StoreUnavailableError

if TYPE_CHECKING:
    from features.sources.outcome_store import OutcomeStore

logger = logging.getLogger("decarb.serving")
T = TypeVar("T")


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
                from features.sources.outcome_store import OutcomeStore  # noqa: PLC0415 (first use)

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
        from sqlalchemy.exc import (  # noqa: PLC0415 (loaded with the store, on first use)
            InterfaceError,
            OperationalError,
            ProgrammingError,
        )

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
            f"measured_savings[{i}].value",
            quantity.carrier,
            quantity.value,
            checked.annual_savings[quantity.carrier],
        )


def checked_submission(submitted: dict[str, Any]) -> CheckedReport:
    """A submitted report (raw JSON, ``Any``) checked as ``POST /v1/outcomes`` checks it: no
    NUL characters, the report and its profile valid, its numbers within plausible ranges."""
    _refuse_nul(submitted, "")
    checked = check_report(submitted)
    _check_numbers(checked)
    return checked
