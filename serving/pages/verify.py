"""The verification page: ``/verify`` the upload form (meter file, measure, installed month,
country and region, confidence, language), ``POST /verify/results`` the answer (verdict, chart
per carrier with the savings shaded, savings table, fits, periods left out, method) and
``POST /verify/report`` the same as a PDF. Nothing is scripted or fetched in the browser."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from features.catalogue.measures import Catalogue, measure_name
from features.errors import InvalidValueError
from features.i18n import Lang, field_words, text
from features.profile import invalid_value
from features.regions import Country
from features.verification import verify
from features.verification.meters import read_meters
from features.verification.schema import VerificationRequest
from serving.auth import SESSION_COOKIE, keep_session, page_role
from serving.errors import ServiceError, invalid_value_detail
from serving.pages.charts import to_svg
from serving.pages.deps import MeterForm, Pages, PageService, Posted
from serving.pages.meter_words import meter_file_said
from serving.pages.pdf import MissingFontError
from serving.pages.verify_pdf import render_verification_pdf
from serving.pages.verify_view import VerificationView, build_verification_view, shown_units
from serving.render_pool import render_in_process
from serving.settings import Settings
from serving.verify import check_measure, request_of

T = TypeVar("T")
#: The pages' session cookie (a signed token naming the key, ``routes.KEY_COOKIE``).
KEY_COOKIE = SESSION_COOKIE
#: The form's inputs besides the file, in the order they are shown.
INPUTS = ("measure_id", "installed", "factory_id", "country", "region", "confidence")
#: Meter files the form takes.
ACCEPTED = ".csv,.xlsx"
#: The verification pages (not in the API's OpenAPI document).
router = APIRouter(include_in_schema=False)


class FontMissingError(ServiceError):
    status_code = 503
    error = "font_missing"


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("serving.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _lang(value: object) -> Lang:
    return "zh" if value == "zh" else "en"


def measure_choices(lang: Lang) -> list[tuple[str, str]]:
    """(id, name in ``lang``) of every catalogue measure, by name."""
    catalogue = Catalogue.default()
    return sorted(
        ((m.id, measure_name(m, lang)) for m in catalogue.measures.values()),
        key=lambda pair: pair[1],
    )


def input_of(field: str) -> str:
    """The form input an error's field belongs to: the file for anything about readings
    (``row 7: quantity``, ``readings[3].unit``), else the input of the same name."""
    head = re.split(r"[.\[:\s]", field, maxsplit=1)[0]
    return head if head in INPUTS else "meter_file"


def _in_slot(slots: threading.BoundedSemaphore, work: Callable[[], T]) -> T:
    with slots:
        return work()


def _verified(request: VerificationRequest, lang: Lang) -> VerificationView:
    return build_verification_view(verify(request, lang), lang, units=shown_units(request))


def key_problem(request: Request, form: dict[str, str], settings: Settings) -> str | None:
    """Why the page may not answer (auth on and no valid key) in the form's language, or
    None."""
    if not settings.auth_enabled:
        return None
    key = form.get("api_key") or request.cookies.get(KEY_COOKIE)
    if page_role(form.get("api_key"), request.cookies.get(KEY_COOKIE), settings) is None:
        lang = _lang(form.get("lang"))
        return text("form_key_unknown" if key else "form_key_needed", lang)
    return None


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Template ``name`` rendered with ``context`` (``Any``: template context values)."""
    page = _templates().get_template(name).render(text=text, **context)
    return HTMLResponse(page, status_code=status)


def form_page(
    settings: Settings,
    lang: Lang,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The verification form in ``lang``, filled with ``values``, each error beside its
    input."""
    return render(
        "verify_form.html",
        status,
        lang=lang,
        values=values or {"confidence": "0.9", "country": "CN"},
        errors=errors or {},
        measures=measure_choices(lang),
        countries=[c.value for c in Country],
        auth=settings.auth_enabled,
        accepted=ACCEPTED,
    )


def _refused(
    settings: Settings, lang: Lang, form: dict[str, str], exc: InvalidValueError
) -> HTMLResponse:
    """The form again with what was typed, ``exc`` said beside its input (422)."""
    return form_page(settings, lang, 422, _values(form), {input_of(exc.field): said(exc, lang)})


async def _answer(
    request: Request, posted: Posted, pages: PageService
) -> tuple[Lang, VerificationRequest | HTMLResponse]:
    """The form's language, and its request or the form again with why not (401, 422)."""
    form = posted.fields
    lang = _lang(form.get("lang"))
    problem = key_problem(request, form, pages.settings)
    if problem is not None:
        return lang, form_page(pages.settings, lang, 401, _values(form), {"api_key": problem})
    try:
        parsed = await _request(form, posted.upload, pages.slots)
    except InvalidValueError as exc:
        return lang, _refused(pages.settings, lang, form, exc)
    return lang, parsed


@router.get("/verify", response_class=HTMLResponse)
def verify_form(pages: Pages, lang: str = "en") -> HTMLResponse:
    return form_page(pages.settings, _lang(lang))


@router.post("/verify/results", response_class=HTMLResponse)
async def verify_results(request: Request, posted: MeterForm, pages: Pages) -> Response:
    lang, parsed = await _answer(request, posted, pages)
    if isinstance(parsed, HTMLResponse):
        return parsed
    try:
        work = functools.partial(_verified, parsed, lang)
        view = await run_in_threadpool(_in_slot, pages.slots, work)
    except InvalidValueError as exc:
        return _refused(pages.settings, lang, posted.fields, exc)
    response = render(
        "verify_results.html",
        lang=lang,
        view=view,
        svg={k: to_svg(c) for k, c in view.charts.items()},
        request_json=parsed.model_dump_json(exclude_none=True),
        other="en" if lang == "zh" else "zh",
    )
    keep_session(response, posted.fields.get("api_key"), pages.settings)
    return response


@router.post("/verify/report")
async def verify_report(request: Request, posted: MeterForm, pages: Pages) -> Response:
    lang, parsed = await _answer(request, posted, pages)
    if isinstance(parsed, HTMLResponse):
        return parsed
    slots, font = pages.slots, pages.settings.cjk_font
    try:
        work = functools.partial(_verified, parsed, lang)
        view = await run_in_threadpool(_in_slot, slots, work)
        data = await render_in_process(slots, render_verification_pdf, view, font)
    except InvalidValueError as exc:
        return _refused(pages.settings, lang, posted.fields, exc)
    except MissingFontError as exc:
        raise FontMissingError(str(exc)) from None
    # Header values are Latin-1: the file name keeps plain ASCII characters only.
    safe = "".join(c for c in parsed.measure_id if c.isascii() and (c.isalnum() or c in "-_"))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="verification-{safe}.pdf"'},
    )


def said(exc: InvalidValueError, lang: Lang) -> str:
    """A wrong input of the verification form in plain words in ``lang`` (the API's message
    names the field and what is allowed in English)."""
    where = input_of(exc.field)
    if where == "meter_file":  # a bad cell: by its row and column, in the page's language
        cells = meter_file_said(exc, lang)
        if cells is not None:
            return cells
    what = field_words(where, lang)
    value = "" if exc.value is None else str(exc.value)[:40]
    if exc.value is None or value == "":
        return text("form_missing", lang, what=what)
    if where == "installed":
        return text("form_month", lang, what=what, value=value)
    if where == "confidence":
        return text("form_not_number_between", lang, what=what, value=value, low="0.5", high="0.99")
    if where in ("measure_id", "country"):
        return text("form_choose", lang, what=what, value=value)
    if where == "region":
        return text("form_region_short", lang, what=what, value=value)
    if lang == "zh":
        return text("verify_file_unreadable", lang, what=what)
    return str(invalid_value_detail(exc)["message"])


def _values(form: dict[str, str]) -> dict[str, str]:
    """The form's own inputs back (to refill it after an error)."""
    return {k: v for k, v in form.items() if k in INPUTS}


async def _request(
    form: dict[str, str], upload: UploadFile | None, slots: threading.BoundedSemaphore
) -> VerificationRequest:
    """The request: the uploaded file's readings with the form's inputs, or the results page's
    carried-over request (language switch, PDF)."""
    carried = form.get("request_json", "").strip()
    if upload is None and carried:
        try:
            request = VerificationRequest.model_validate_json(carried)
        except ValidationError as exc:
            raise invalid_value(exc, VerificationRequest, "request_json") from None
        check_measure(request)
        return request
    if upload is None:
        raise InvalidValueError("meter_file", None, f"a meter file ({ACCEPTED})")
    content = await upload.read()
    await upload.close()
    read = functools.partial(read_meters, content, upload.filename or "")
    readings = await run_in_threadpool(_in_slot, slots, read)
    values: dict[str, Any] = {"readings": readings}  # Any: typed by the request model
    for name in INPUTS:
        value = form.get(name, "").strip()
        if not value:
            continue
        if name == "confidence":
            try:
                values[name] = float(value)
            except ValueError:
                raise InvalidValueError(name, value, "a number from 0.5 to 0.99") from None
        else:
            values[name] = value
    return request_of(values)
