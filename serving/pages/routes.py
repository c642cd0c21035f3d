"""The factory's pages, served by the API's own app: ``/`` the profile form, ``/results`` the
answer (footprint, cost curve, pathway, a card per measure, warnings on top), ``/report`` and
``POST /v1/reports`` the same as a PDF, and ``/docs`` with its assets served from the installed
package, so nothing a page needs comes from the internet."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import UploadFile

from features.errors import InvalidValueError
from features.i18n import Lang, field_words, text, word
from features.profile import FactoryProfile
from models.pyfunc import LoadedModel
from models.schemas import FactoryRecommendations, RecommendOptions
from serving.auth import SESSION_COOKIE, ReadAccess, keep_session, page_role, role_of
from serving.errors import ServiceError, error_responses
from serving.pages import verify as verify_pages
from serving.pages.charts import to_svg
from serving.pages.deps import Pages, PageService, Posted, ProfileForm
from serving.pages.form import (
    ROW_TITLES,
    Submitted,
    check_depth,
    form_inputs,
    form_values,
    profile_from_form,
    profile_from_upload,
    row_inputs,
)
from serving.pages.form_check import (
    OPTION_FIELDS,
    Problem,
    check_options,
    check_profile,
    input_words,
    problem_of,
    rendered,
    unread_problem,
    upload_problem,
)
from serving.pages.form_words import OBJECTIVES, OPTION_HELP, unit_help
from serving.pages.pdf import MissingFontError, render_pdf
from serving.pages.view import Answered, PageView, build_view, training_of
from serving.render_pool import render_in_process
from serving.routes.recommendations import Scorer
from serving.schemas import RecommendationRequest
from serving.settings import Settings

#: The cookie that keeps a page user's session (a signed token naming the key, never the key).
KEY_COOKIE = SESSION_COOKIE
T = TypeVar("T")
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
#: The pages (not in the API's OpenAPI document).
router = APIRouter(include_in_schema=False)
#: ``POST /v1/reports``: the printable report of one factory as PDF.
api_router = APIRouter()


class FontMissingError(ServiceError):
    status_code = 503
    error = "font_missing"


@dataclass(frozen=True)
class Checked:
    """A submitted form checked whole: the profile (None when a problem stops it), the options,
    the raw profile it came from (carried by the results page), the values that refill the form,
    and every problem."""

    profile: FactoryProfile | None
    options: RecommendOptions
    raw: dict[str, Any]  # Any: raw JSON values
    values: dict[str, str]
    problems: list[Problem]


@dataclass(frozen=True)
class Ready:
    """A form that can be answered: its profile, options and the raw profile it came from."""

    profile: FactoryProfile
    options: RecommendOptions
    raw: dict[str, Any]  # Any: raw JSON values


@functools.cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("serving.pages", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(field_words=field_words, word=word)
    return env


@functools.cache
def _swagger_asset(name: str) -> bytes:
    """A Swagger UI file from the installed package, read once per process."""
    return resources.files("fastapi_swagger.resources").joinpath(name).read_bytes()


def _lang(value: object) -> Lang:
    return "zh" if value == "zh" else "en"


def key_problem(request: Request, form: dict[str, str], settings: Settings) -> Problem | None:
    """Why the page may not answer (auth on and no valid key), or None."""
    if not settings.auth_enabled:
        return None
    key = form.get("api_key") or request.cookies.get(KEY_COOKIE)
    if page_role(form.get("api_key"), request.cookies.get(KEY_COOKIE), settings) is None:
        return Problem("api_key", "form_key_unknown" if key else "form_key_needed", {})
    return None


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Template ``name`` rendered with ``context`` (``Any``: template context values)."""
    page = _templates().get_template(name).render(text=text, **context)
    return HTMLResponse(page, status_code=status)


@dataclass(frozen=True)
class Refill:
    """What the form is filled with again: the values typed, every problem, and the form's own
    fields (its options and language)."""

    values: dict[str, str] | None = None
    problems: list[Problem] = field(default_factory=list)
    form: dict[str, str] | None = None


def form_page(
    settings: Settings, lang: Lang, status: int = 200, refill: Refill | None = None
) -> HTMLResponse:
    """The form in ``lang``, filled with ``refill``'s values, every problem beside its input
    and in the summary on top."""
    refill = refill or Refill()
    problems = refill.problems
    errors = rendered(problems, lang)
    summary = [(p.where, input_words(p.where, lang), p.render(lang)) for p in problems]
    limit_mb = settings.max_body_bytes / 1e6
    return render(
        "form.html",
        status,
        lang=lang,
        other="en" if lang == "zh" else "zh",
        sections=form_inputs(lang, refill.values, errors),
        rows=row_inputs(lang, refill.values, errors),
        row_titles=ROW_TITLES,
        errors=errors,
        summary=summary,
        options=refill.form or {},
        auth=settings.auth_enabled,
        unit_help=unit_help(lang),
        objectives=OBJECTIVES,
        option_help={k: v[lang == "zh"] for k, v in OPTION_HELP.items()},
        max_upload_bytes=settings.max_body_bytes,
        # The browser puts the chosen file's size into {size} (see form.html).
        too_large=text("form_file_too_large", lang, size="{size}", limit=f"{limit_mb:g}"),
    )


async def checked(posted: Posted, lang: Lang, slots: threading.BoundedSemaphore) -> Checked:
    """A submitted form checked whole: every problem at once."""
    form, upload = posted.fields, posted.upload
    options, problems = check_options(form, lang)
    try:
        submitted = await _submitted(form, upload, slots)
    except InvalidValueError as exc:
        if exc.field == "profile_json":  # the carried profile has no input of its own
            carried = problem_of(exc, {})
            problems.append(Problem("profile", carried.key, carried.slots))
        else:
            problems.append(upload_problem(exc))
        return Checked(None, options, {}, form_values_of(form), problems)
    from_form = upload is None and not form.get("profile_json", "").strip()
    values = form_values_of(form) if from_form else form_values(submitted.profile)
    problems += [unread_problem(e, submitted.row_of) for e in submitted.unread]
    profile, found = check_profile(submitted.profile, submitted.row_of)
    return Checked(profile, options, submitted.profile, values, [*problems, *found])


async def _answerable(
    request: Request, posted: Posted, pages: PageService
) -> tuple[Lang, Ready | HTMLResponse]:
    """The form's language, and the checked form or the form again with why it cannot be
    answered (401 without a valid key, 422 with its problems)."""
    form = posted.fields
    lang = _lang(form.get("lang"))
    problem = key_problem(request, form, pages.settings)
    if problem is not None:
        filled = Refill(form_values_of(form), [problem], form)
        return lang, form_page(pages.settings, lang, 401, filled)
    done = await checked(posted, lang, pages.slots)
    if done.problems or done.profile is None:
        filled = Refill(done.values, done.problems, form)
        return lang, form_page(pages.settings, lang, 422, filled)
    return lang, Ready(done.profile, done.options, done.raw)


@router.get("/", response_class=HTMLResponse)
def index(pages: Pages, lang: str = "en") -> HTMLResponse:
    return form_page(pages.settings, _lang(lang))


@router.post("/form", response_class=HTMLResponse)
async def refill(posted: ProfileForm, pages: Pages) -> HTMLResponse:
    """The form again, filled: in the other language (the form's own switch posts what
    was typed here) or from the profile behind a results page (its edit button)."""
    form, upload, settings = posted.fields, posted.upload, pages.settings
    lang = _lang(form.get("switch_to") or form.get("lang"))
    values = form_values_of(form)
    problems: list[Problem] = []
    if upload is not None or form.get("profile_json", "").strip():
        try:
            submitted = await _submitted(form, upload, pages.slots)
            values = {**values, **form_values(submitted.profile)}
        except InvalidValueError as exc:
            problems.append(upload_problem(exc))
    response = form_page(settings, lang, 422 if problems else 200, Refill(values, problems, form))
    if settings.auth_enabled and role_of(form.get("api_key"), settings) is not None:
        _keep_key(response, form, settings)  # a typed key is not written into the page
    return response


@router.post("/results", response_class=HTMLResponse)
async def results(request: Request, posted: ProfileForm, pages: Pages) -> Response:
    lang, done = await _answerable(request, posted, pages)
    if isinstance(done, HTMLResponse):
        return done
    result, model = await pages.score(done.profile, done.options)
    view = _view(result, model, done.profile)
    form = posted.fields
    response = render(
        "results.html",
        lang=lang,
        view=view,
        svg={k: to_svg(c) for k, c in view.charts.items()},
        profile_json=json.dumps(done.raw, ensure_ascii=False),
        options={k: form.get(k, "") for k in OPTION_FIELDS},
        other="en" if lang == "zh" else "zh",
    )
    _keep_key(response, form, pages.settings)
    return response


@router.post("/report")
async def report(request: Request, posted: ProfileForm, pages: Pages) -> Response:
    _, done = await _answerable(request, posted, pages)
    if isinstance(done, HTMLResponse):
        return done
    result, model = await pages.score(done.profile, done.options)
    return await _pdf_response(_view(result, model, done.profile), pages)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="decarb-recommender API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )


@router.get("/static/swagger/{name}")
def swagger_asset(name: str) -> Response:
    if name not in SWAGGER_ASSETS:
        return Response(status_code=404)
    data = _swagger_asset(name)
    kind = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(data, media_type=kind[name.rsplit(".", 1)[1]], headers=headers)


#: The report API's request example (a Jiangsu machinery plant, answered in Chinese).
_REPORT_EXAMPLE = {
    "profile": {
        "factory_id": "plant-7",
        "country": "CN",
        "region": "Jiangsu",
        "sector": "machinery",
        "reporting_year": 2024,
        "electricity_kwh": 8.5e6,
    },
    "options": {"lang": "zh", "top_k": 5},
}


@api_router.post(
    "/v1/reports",
    tags=["reports"],
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The report (A4 PDF) in options.lang.",
        },
        **error_responses(400, 401, 405, 413, 422, 429, 503),
    },
    openapi_extra={"requestBody": {"content": {"application/json": {"example": _REPORT_EXAMPLE}}}},
)
async def reports(body: RecommendationRequest, _: ReadAccess, pages: Pages) -> Response:
    """The footprint, cost curve, pathway and measure cards of one factory as a PDF."""
    result, model = await pages.score(body.profile, body.options)
    return await _pdf_response(_view(result, model, body.profile), pages)


def install(app: FastAPI, settings: Settings, score: Scorer) -> None:
    """Add the pages, the report API and the offline docs to ``app``; ``score(profile,
    options) -> (result, model)`` runs one factory through the loaded model exactly as the API
    does."""
    # PDF rendering and upload parsing take a core each, like scoring: run in threads, at most
    # as many at once as scoring threads, so the event loop keeps admitting, refusing and
    # answering health checks while they work.
    slots = threading.BoundedSemaphore(settings.scoring_threads or os.cpu_count() or 1)
    app.state.pages = PageService(settings, score, slots)
    app.include_router(api_router)
    app.include_router(router)
    app.include_router(verify_pages.router)


def _view(
    result: FactoryRecommendations, model: LoadedModel, profile: FactoryProfile | None = None
) -> PageView:
    answered = Answered(model.uri, str(model.version), training_of(model.card))
    return build_view(result, answered, profile)


def _in_slot(slots: threading.BoundedSemaphore, work: Callable[[], T]) -> T:
    with slots:
        return work()


async def _pdf_response(view: PageView, pages: PageService) -> Response:
    try:
        data = await render_in_process(pages.slots, render_pdf, view, pages.settings.cjk_font)
    except MissingFontError as exc:
        raise FontMissingError(str(exc)) from None
    # Header values are Latin-1: the file name keeps the id's plain ASCII characters only.
    safe = "".join(c for c in view.factory_id if c.isascii() and (c.isalnum() or c in "-_"))
    name = f"decarb-report-{safe or 'factory'}"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


async def _submitted(
    form: dict[str, str], upload: UploadFile | None, slots: threading.BoundedSemaphore
) -> Submitted:
    """The profile: an uploaded file first, then the answer page's carried-over JSON, then the
    form's inputs."""
    if upload is not None:
        content = await upload.read()
        await upload.close()
        parse = functools.partial(profile_from_upload, upload.filename or "", content)
        return Submitted(await run_in_threadpool(_in_slot, slots, parse), {})
    carried = form.get("profile_json", "").strip()
    if carried:
        check_depth("profile_json", carried[:200], carried.encode("utf-8", "replace"))
        try:
            data = json.loads(carried)
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise InvalidValueError("profile_json", carried[:200], "a JSON object")
        return Submitted(data, {})
    return profile_from_form(form)


def form_values_of(form: dict[str, str]) -> dict[str, str]:
    """The form's own inputs back (to refill it after an error)."""
    return {k: v for k, v in form.items() if k not in ("api_key", "profile_json")}


def _keep_key(response: Response, form: dict[str, str], settings: Settings) -> None:
    """Keep a session for a key the user typed (a signed token, never readable by scripts)."""
    keep_session(response, form.get("api_key"), settings)
