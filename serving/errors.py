"""The one place that maps errors to HTTP status codes and the stable error body
``{"error": ..., "detail": ..., "request_id": ...}``."""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from features.errors import DecarbError, InvalidValueError
from features.profile import FactoryProfile
from models.schemas import RecommendOptions

logger = logging.getLogger("decarb.serving")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: Any  # a message, or a list of {field, value, allowed, message} for 422s
    request_id: str


class ServiceError(Exception):
    """An error with a status code and a stable error name."""

    status_code = 500
    error = "internal_error"

    def __init__(self, detail: Any) -> None:
        # Any: a message or structured detail, serialised as JSON.
        super().__init__(str(detail))
        self.detail = detail


class ModelNotLoadedError(ServiceError):
    status_code = 503
    error = "model_not_loaded"


class BatchTooLargeError(ServiceError):
    status_code = 413
    error = "batch_too_large"


class UnauthorizedError(ServiceError):
    status_code = 401
    error = "unauthorized"


class ForbiddenError(ServiceError):
    status_code = 403
    error = "forbidden"


class ConflictError(ServiceError):
    status_code = 409
    error = "conflict"


class StoreUnavailableError(ServiceError):
    """The outcomes database did not answer: retry after ``RETRY_AFTER_S``."""

    status_code = 503
    error = "store_unavailable"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "5"}


_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "Missing or unknown API key",
    403: "The key's role does not allow this endpoint",
    404: "No such path",
    405: "Method not allowed (the Allow header lists the right ones)",
    408: "The body did not arrive within DECARB_BODY_READ_TIMEOUT_S",
    409: "The Idempotency-Key was used before for a different report",
    413: "Body over DECARB_MAX_BODY_BYTES, or a batch over DECARB_BATCH_MAX_FACTORIES",
    422: "Invalid value: detail lists {field, value, allowed, message}",
    429: "Over the key's rate limit; see Retry-After",
    503: "No model loaded, too many requests in flight, or the outcomes store unreachable; see "
    "Retry-After",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error statuses a route returns, all with :class:`ErrorBody`."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


#: What every /v1 route can return (auth and limits apply before the route runs).
ERROR_RESPONSES = error_responses(400, 401, 404, 405, 413, 422, 429, 503)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def _body(
    request: Request, status: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, request_id=request_id_of(request))
    # The header is set here too: a 500 leaves through Starlette's outermost handler, past the
    # middleware that adds it to every other response.
    return JSONResponse(
        status_code=status,
        content=body.model_dump(mode="json"),
        headers={**(headers or {}), "x-request-id": body.request_id},
    )


def invalid_value_detail(exc: InvalidValueError) -> dict[str, Any]:
    """A domain validation error as a structured 422 item."""
    return {
        "field": _jsonable(exc.field),
        "value": _jsonable(exc.value),
        "allowed": _utf8(exc.allowed) if isinstance(exc.allowed, str) else exc.allowed,
        "message": _jsonable(str(exc), MAX_MESSAGE),
    }


#: Longest echo of a bad value in an error body (a 20 MB field must not come back whole).
MAX_ECHO = 200
#: Longest message (its value is already cut short; what is allowed must stay readable).
MAX_MESSAGE = 2000


def _utf8(text: str) -> str:
    """Valid UTF-8 text (lone surrogates replaced)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _jsonable(value: Any, limit: int = MAX_ECHO) -> Any:
    """A bad value as it is safe to echo: finite numbers as they are (integers up to 2**53),
    everything else as text that is valid UTF-8 (lone surrogates replaced) and at most MAX_ECHO
    characters, ``limit`` for messages (longer integers: their first digits and how many
    there are)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):  # past 2**53 a JSON reader may not keep it exact: text
        if abs(value) <= 2**53:
            return value
        digits = str(value)
        return digits if len(digits) <= 30 else f"{digits[:20]}... ({len(digits):,} digits)"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text):,} characters)"
    return _utf8(text)


_FIELDS_OF: dict[str, list[str]] = {
    "profile": list(FactoryProfile.model_fields),
    "options": list(RecommendOptions.model_fields),
}
_REQUEST_FIELDS = ["profile", "options", "factories"]


def validation_items(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors as ``{field, value, allowed, message}`` items, domain errors unwrapped."""
    items = []
    for err in errors:
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, InvalidValueError):
            item = invalid_value_detail(inner)
            prefix = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
            # A field validator's location already ends with the field the error names.
            if prefix and (prefix == item["field"] or prefix.endswith(f".{item['field']}")):
                item["field"] = prefix
            elif prefix and not item["field"].startswith(prefix):
                item["field"] = f"{prefix}.{item['field']}" if inner.field else prefix
            items.append(item)
            continue
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        expected = (err.get("ctx") or {}).get("expected")
        allowed = str(expected) if expected else err.get("msg", "")
        if err.get("type") == "extra_forbidden":
            owner = _FIELDS_OF.get(loc[0] if len(loc) > 1 else "", _REQUEST_FIELDS)
            allowed = "fields: " + ", ".join(owner)
        items.append(
            {
                "field": _jsonable(".".join(loc) or "body"),
                "value": _jsonable(err.get("input")),
                "allowed": _utf8(allowed),
                "message": _jsonable(err.get("msg", "")),
            }
        )
    return items


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; every error leaves as an :class:`ErrorBody`."""

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        return _body(request, exc.status_code, exc.error, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _body(request, 422, "invalid_request", validation_items(list(exc.errors())))

    @app.exception_handler(InvalidValueError)
    async def _invalid(request: Request, exc: InvalidValueError) -> JSONResponse:
        return _body(request, 422, "invalid_request", [invalid_value_detail(exc)])

    @app.exception_handler(DecarbError)
    async def _domain(request: Request, exc: DecarbError) -> JSONResponse:
        return _body(request, 422, "unprocessable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return _body(request, exc.status_code, name, exc.detail, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error", extra={"request_id": request_id_of(request)})
        return _body(request, 500, "internal_error", "unexpected error; see the service log")
