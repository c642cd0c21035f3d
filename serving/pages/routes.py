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
from importlib import resources
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import UploadFile

from features.errors import InvalidValueError
from features.i18n import Lang, text
from features.profile import parse_profile
from models.pyfunc import LoadedModel
from models.schemas import FactoryRecommendations, RecommendOptions
from serving.auth import ReadAccess, role_of
from serving.errors import ServiceError, error_responses, invalid_value_detail
from serving.pages import verify as verify_pages
from serving.pages.charts import to_svg
from serving.pages.form import (
    ROW_TITLES,
    Submitted,
    check_depth,
    covered_fields,
    form_inputs,
    form_values,
    input_of_error,
    profile_from_form,
    profile_from_upload,
    row_inputs,
    unit_help,
)
from serving.pages.pdf import MissingFontError, render_pdf
from serving.pages.view import PageView, build_view
from serving.schemas import RecommendationRequest
from serving.settings import Settings

#: The cookie that keeps a page user's API key for the browser session.
KEY_COOKIE = "decarb_key"
T = TypeVar("T")
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
OPTION_FIELDS = ("objective", "top_k", "target_reduction", "currency")


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


@functools.cache
def _swagger_asset(name: str) -> bytes:
    """A Swagger UI file from the installed package, read once per process."""
    return resources.files("fastapi_swagger.resources").joinpath(name).read_bytes()


def _lang(value: object) -> Lang:
    return "zh" if value == "zh" else "en"


def _options(form: dict[str, str], lang: Lang) -> RecommendOptions:
    """Options from the form (strings to their types; errors name the option)."""
    raw: dict[str, Any] = {"lang": lang}  # Any: typed per option below
    for name in OPTION_FIELDS:
        value = form.get(name, "").strip()
        if not value:
            continue
        try:
            if name == "top_k":
                raw[name] = int(value)
            elif name == "target_reduction":
                raw[name] = float(value)
            else:
                raw[name] = value
        except ValueError:
            raise InvalidValueError(name, value, "a number") from None
    try:
        return RecommendOptions.model_validate(raw)
    except ValueError as exc:
        first = exc.errors()[0] if hasattr(exc, "errors") else {}
        name = str(first.get("loc", ["options"])[0]) if first else "options"
        raise InvalidValueError(name, raw.get(name), str(first.get("msg", exc))) from None


def router(settings: Settings, score: Any, slots: threading.BoundedSemaphore) -> APIRouter:
    """The page routes. ``score(profile, options) -> (result, model)`` runs one factory through
    the loaded model exactly as the API does (``Any``: a callable from the app factory);
    ``slots`` bounds the uploads parsed and PDFs rendered at once (off the event loop)."""
    pages = APIRouter(include_in_schema=False)

    def key_problem(request: Request, form: dict[str, str]) -> str | None:
        """Why the page may not answer (auth on and no valid key), or None."""
        if not settings.auth_enabled:
            return None
        key = form.get("api_key") or request.cookies.get(KEY_COOKIE)
        if role_of(key, settings) is None:
            return "missing or unknown API key" if key else "an API key is needed"
        return None

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        # Any: template context values
        page = _templates().get_template(name).render(text=text, **context)
        return HTMLResponse(page, status_code=status)

    def form_page(
        lang: Lang,
        status: int = 200,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return render(
            "form.html",
            status,
            lang=lang,
            sections=form_inputs(lang, values, errors),
            rows=row_inputs(values, errors),
            row_titles=ROW_TITLES,
            errors=errors or {},
            options=form or {},
            auth=settings.auth_enabled,
            unit_help=unit_help(),
        )

    @pages.get("/", response_class=HTMLResponse)
    def index(lang: str = "en") -> HTMLResponse:
        return form_page(_lang(lang))

    @pages.post("/results", response_class=HTMLResponse)
    async def results(request: Request) -> Response:
        form, upload = await _read_form(request)
        lang = _lang(form.get("lang"))
        problem = key_problem(request, form)
        if problem is not None:
            return form_page(lang, 401, form_values_of(form), {"api_key": problem}, form)
        submitted = Submitted({}, {})
        try:
            submitted = await _submitted(form, upload, slots)
            options = _options(form, lang)
            profile = parse_profile(submitted.profile)
        except InvalidValueError as exc:
            values = form_values(submitted.profile) if submitted.profile else form_values_of(form)
            where = input_of_error(exc.field, submitted.row_of)
            if where not in covered_fields() and "." not in where:
                where = "profile_file" if upload is not None else where
            if where == "profile_json":  # the carried profile has no input of its own
                where = "profile"
            detail = invalid_value_detail(exc)["message"]
            return form_page(lang, 422, values, {where or "profile": detail}, form)
        result, model = await score(profile, options)
        view = _view(result, model)
        response = render(
            "results.html",
            lang=lang,
            view=view,
            svg={k: to_svg(c) for k, c in view.charts.items()},
            profile_json=json.dumps(submitted.profile, ensure_ascii=False),
            options={k: form.get(k, "") for k in OPTION_FIELDS},
            other="en" if lang == "zh" else "zh",
        )
        _keep_key(response, form)
        return response

    @pages.post("/report")
    async def report(request: Request) -> Response:
        form, upload = await _read_form(request)
        lang = _lang(form.get("lang"))
        problem = key_problem(request, form)
        if problem is not None:
            return form_page(lang, 401, form_values_of(form), {"api_key": problem}, form)
        try:
            submitted = await _submitted(form, upload, slots)
            options = _options(form, lang)
            profile = parse_profile(submitted.profile)
        except InvalidValueError as exc:
            return form_page(
                lang,
                422,
                form_values_of(form),
                {"profile": invalid_value_detail(exc)["message"]},
                form,
            )
        result, model = await score(profile, options)
        return await _pdf_response(_view(result, model), settings, slots)

    @pages.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="decarb-recommender API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @pages.get("/static/swagger/{name}")
    def swagger_asset(name: str) -> Response:
        if name not in SWAGGER_ASSETS:
            return Response(status_code=404)
        data = _swagger_asset(name)
        kind = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(data, media_type=kind[name.rsplit(".", 1)[1]], headers=headers)

    return pages


def api_router(settings: Settings, score: Any, slots: threading.BoundedSemaphore) -> APIRouter:
    """``POST /v1/reports``: the printable report of one factory as PDF (``Any``, ``slots``: as
    above)."""
    api = APIRouter()

    @api.post(
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
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {
                        "example": {
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
                    }
                }
            }
        },
    )
    async def reports(body: RecommendationRequest, _: ReadAccess) -> Response:
        """The footprint, cost curve, pathway and measure cards of one factory as a PDF."""
        result, model = await score(body.profile, body.options)
        return await _pdf_response(_view(result, model), settings, slots)

    return api


def install(app: FastAPI, settings: Settings, score: Any) -> None:
    """Add the pages, the report API and the offline docs to ``app`` (``Any``: as above)."""
    # PDF rendering and upload parsing take a core each, like scoring: run in threads, at most
    # as many at once as scoring threads, so the event loop keeps admitting, refusing and
    # answering health checks while they work.
    slots = threading.BoundedSemaphore(settings.scoring_threads or os.cpu_count() or 1)
    app.include_router(api_router(settings, score, slots))
    app.include_router(router(settings, score, slots))
    app.include_router(verify_pages.router(settings, slots))


def _view(result: FactoryRecommendations, model: LoadedModel) -> PageView:
    return build_view(result, model_uri=model.uri, model_version=str(model.version))


def _in_slot(slots: threading.BoundedSemaphore, work: Callable[[], T]) -> T:
    with slots:
        return work()


async def _pdf_response(
    view: PageView, settings: Settings, slots: threading.BoundedSemaphore
) -> Response:
    try:
        render = functools.partial(render_pdf, view, settings.cjk_font)
        data = await run_in_threadpool(_in_slot, slots, render)
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


async def _read_form(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    """The form's text fields, and the uploaded profile file if one was chosen."""
    data = await request.form()
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in data.multi_items():
        if isinstance(value, UploadFile):
            if name == "profile_file" and value.filename and upload is None:
                upload = value
            else:
                await value.close()
        else:
            fields[name] = value
    return fields, upload


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


def _keep_key(response: Response, form: dict[str, str]) -> None:
    """Keep a key the user typed for this browser session (never readable by scripts)."""
    key = form.get("api_key")
    if key:
        response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict")
