"""``POST /v1/verifications``: metered energy around one measure in, its verified savings out
(IPMVP Option C, ASHRAE Guideline 14); with ``record``, the result is also stored as the
factory's outcome in one step (:mod:`serving.verify` holds what the command line and the page
share)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from features.errors import InvalidValueError
from features.verification import verify
from features.verification.schema import Verification
from serving.auth import RANK
from serving.deps import ReadAccess, RequestId, Service, Wired
from serving.errors import ForbiddenError
from serving.routes.endpoint import READ_ERRORS, documented, scoring
from serving.verify import (
    VerificationApiRequest,
    VerificationRecord,
    VerificationResponse,
    base_request,
    check_measure,
    example_request,
    outcome_of,
    store_outcome,
)

T = TypeVar("T")

router = APIRouter(tags=["verification"])


@router.post(
    "/v1/verifications",
    response_model=VerificationResponse,
    responses=documented("POST /v1/verifications", *READ_ERRORS, 403),
    openapi_extra={"requestBody": {"content": {"application/json": {
        "example": {**example_request(), "lang": "en"}}}}},
)  # fmt: skip
@scoring
async def verifications(
    body: VerificationApiRequest, request_id: RequestId, service: Wired, role: ReadAccess
) -> Response:
    """Verified savings of one measure from the plant's metered energy before and after
    it: a baseline per carrier fitted on the periods before (production, degree days or a
    change-point model, chosen by the data), projected over the periods after, the avoided
    energy with its uncertainty at the confidence asked for, tCO2e/yr location- and
    market-based, the fits against ASHRAE Guideline 14's limits, and the chart series.
    With ``record``, the result is stored as the factory's outcome (write key)."""
    if (
        body.record is not None
        and service.settings.auth_enabled
        and RANK[role or "read"] < RANK["write"]
    ):
        raise ForbiddenError("record: storing an outcome needs a key with the write role")
    plain = base_request(body)
    check_measure(plain)
    work = functools.partial(verify, plain, body.lang)
    verification = await run_in_threadpool(_in_slot, service.cores, work)
    outcome_id = None
    if body.record is not None:
        outcome_id = await _record(service, verification, body.record)
    answer = VerificationResponse(request_id=request_id, result=verification, outcome_id=outcome_id)
    return Response(answer.model_dump_json().encode(), media_type="application/json")


async def _record(service: Service, verification: Verification, record: VerificationRecord) -> int:
    """Store ``verification`` as the outcome ``record`` describes; its id."""
    try:
        checked = outcome_of(verification, record.profile, record.factory_id)
    except InvalidValueError as exc:
        raise InvalidValueError(f"record.{exc.field}", exc.value, exc.allowed) from None
    stored = await service.store.run(lambda store: store_outcome(store, checked))
    return stored.id


def _in_slot(slots: threading.BoundedSemaphore, work: Callable[[], T]) -> T:
    with slots:
        return work()
