"""The FastAPI application: routes translate HTTP to one call into ``models`` and back."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from features.accounting.footprint import compute_footprint
from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.profile import FactoryProfile, parse_profile
from models.collector import collection_paused
from models.compiled import default_compiled_cache
from models.pyfunc import LoadedModel, resolve_tracking_uri
from models.redact import redact
from models.schemas import FactoryRecommendations, RecommendOptions
from serving import outcomes, pages, verify
from serving.auth import AdminAccess, ReadAccess
from serving.errors import (
    BatchTooLargeError,
    error_responses,
    install_error_handlers,
    invalid_value_detail,
)
from serving.guard import Guard
from serving.metrics import ServiceMetrics
from serving.model_state import ModelHolder
from serving.outcomes import StoreHolder
from serving.schemas import (
    BatchItem,
    BatchRequest,
    BatchResponse,
    FootprintRequest,
    FootprintResponse,
    Health,
    LoadedModelResponse,
    MeasuresResponse,
    ModelInfo,
    RecommendationRequest,
    RecommendationResponse,
    ReloadResponse,
    ServerInfo,
)
from serving.settings import Settings, get_settings

logger = logging.getLogger("decarb.serving")

EXAMPLE_PROFILE: dict[str, Any] = {
    "factory_id": "plant-7", "country": "CN", "region": "Guangdong",
    "sector": "electronics_appliances", "reporting_year": 2023, "employees": 420,
    "electricity_kwh": 8.5e6,
    "energy_use": [{"carrier": "natural_gas", "value": 4.0e5, "unit": "Nm3"}],
    "roof_area_available_m2": 12000,
}  # fmt: skip


@functools.cache
def response_examples() -> dict[str, Any]:
    """One recorded response per endpoint (``scripts/build_api_examples.py``). ``Any``: JSON."""
    text = resources.files("serving").joinpath("data/response_examples.json").read_text("utf-8")
    examples: dict[str, Any] = json.loads(text)
    return examples


def _documented(operation: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The responses of ``operation`` for OpenAPI: its recorded 200 example and its errors."""
    ok = {"content": {"application/json": {"example": response_examples()[operation]}}}
    return {200: ok, **error_responses(*errors)}


READ_ERRORS = (400, 401, 404, 405, 413, 422, 429, 503)


async def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


Holder = Annotated[ModelHolder, Depends(_holder)]


def _model_info(model: LoadedModel) -> ModelInfo:
    name = model.uri.removeprefix("models:/").split("@")[0].split("/")[0]
    card = model.card
    return ModelInfo(
        name=name,
        uri=redact(model.uri),
        version=model.version,
        run_id=model.run_id,
        trained_on=card.summary,
        generated_data=card.trained_on.generated,
    )


def _request_id(request: Request) -> str:
    return str(request.state.request_id)


def create_app(settings: Settings | None = None, holder: ModelHolder | None = None) -> FastAPI:
    """Build the app. The model is loaded in the lifespan (start-up), never at import."""
    settings = settings or get_settings()
    tracking_uri = resolve_tracking_uri(settings.tracking_uri)
    metrics = ServiceMetrics()
    # Scoring threads beyond the cores only fight over the GIL, and the event loop that
    # admits and refuses requests loses that fight: admitted requests wait here instead.
    cores = threading.BoundedSemaphore(settings.scoring_threads or os.cpu_count() or 1)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cache = None
        if settings.compiled_trees:
            cache = Path(settings.compiled_cache or default_compiled_cache())
        key = settings.model_signing_key
        own = holder or ModelHolder(
            settings.model_uri, tracking_uri, cache, key.get_secret_value() if key else None
        )
        app.state.holder = own
        if own.signing_key is None:
            logger.warning(
                "no model signing key (DECARB_MODEL_SIGNING_KEY): a model's bundle is checked "
                "against the plain SHA-256 its training run records, which anyone who can write "
                "to the registry can forge (docs/deploy.md)"
            )
        app.state.event_loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
        if not own.ready:
            outcome = own.load_at_start(settings.store_timeout_seconds)
            if outcome is not None:
                metrics.reloads.labels("ok" if outcome.ok else "failed").inc()
                logger.info("model load at start-up", extra={"outcome": outcome.message})
        _set_version_gauge(metrics, own)
        if settings.reload_poll_seconds:
            own.start_polling(settings.reload_poll_seconds)
        yield
        own.stop()
        store_holder.close()

    app = FastAPI(
        title="decarb-recommender",
        version="1",
        description="Ranked emission-reduction measures for factories, with predicted tCO2e, "
        "costs, adoption and explanations.",
        lifespan=lifespan,
        docs_url=None,  # served by serving.pages from the installed assets (works offline)
        redoc_url=None,
    )

    app.state.settings = settings  # what the routes' dependencies read (serving.auth)
    install_error_handlers(app)

    # Innermost first: limits, then request ids, metrics and logs (so refusals are counted),
    # then CORS outermost (a browser's preflight never needs a key).
    app.add_middleware(Guard, settings=settings)
    app.add_middleware(_Observe, metrics=metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"], max_age=600,
        )  # fmt: skip

    async def score(
        profile: FactoryProfile, options: RecommendOptions
    ) -> tuple[FactoryRecommendations, LoadedModel]:
        """One factory through the loaded model, as the API scores it (for the pages)."""
        model = request_model(app)

        def run() -> FactoryRecommendations:
            with cores, collection_paused():
                return model.bundle.recommend([profile], options)[0]

        result = await run_in_threadpool(run)
        _count_warnings(metrics, [result])
        return result, model

    pages.install(app, settings, score)
    store_holder = StoreHolder(settings.database_url)
    app.include_router(outcomes.router(settings, store_holder))
    app.include_router(
        verify.router(settings, store_holder, cores,
                      _documented("POST /v1/verifications", *READ_ERRORS, 403))
    )  # fmt: skip

    @app.get("/healthz", response_model=Health, tags=["health"],
             responses=_documented("GET /healthz"))  # fmt: skip
    def healthz() -> Health:
        return Health(status="alive")

    @app.get("/readyz", response_model=Health, tags=["health"],
             responses=_documented("GET /readyz", 503))  # fmt: skip
    def readyz(holder: Holder) -> Health:
        model = holder.current  # raises 503 when none is loaded
        return Health(status="ready", model_version=model.version)

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse,
             responses={200: {"description": "Prometheus text exposition format"}})  # fmt: skip
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/recommendations",
        response_model=RecommendationResponse,
        tags=["recommendations"],
        responses=_documented("POST /v1/recommendations", *READ_ERRORS),
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {
                        "example": {
                            "profile": EXAMPLE_PROFILE,
                            "options": {"objective": "most_tco2e", "top_k": 5, "explain": "top"},
                        }
                    }
                }
            }
        },
    )
    def recommend(
        body: RecommendationRequest, request: Request, holder: Holder, _: ReadAccess
    ) -> Response:
        """Ranked measures for one factory, with footprint, portfolio, pathway and reasons."""
        model = holder.current

        def answer() -> Response:
            with cores:
                result = model.bundle.recommend([body.profile], body.options)[0]
            _count_warnings(metrics, [result])
            return _json(
                RecommendationResponse(
                    request_id=_request_id(request), model=_model_info(model), result=result
                )
            )

        # The answer's objects are freed when answer() returns, before collection resumes.
        with collection_paused():
            return answer()

    @app.post(
        "/v1/recommendations/batch",
        response_model=BatchResponse,
        tags=["recommendations"],
        responses=_documented("POST /v1/recommendations/batch", *READ_ERRORS),
        openapi_extra={"requestBody": {"content": {"application/json": {"example": {
            "factories": [EXAMPLE_PROFILE, {**EXAMPLE_PROFILE, "factory_id": "plant-8",
                                            "region": "Yunnan"}],
            "options": {"top_k": 3, "explain": "none", "lang": "zh"}}}}}},
    )  # fmt: skip
    def recommend_batch(
        body: BatchRequest, request: Request, holder: Holder, _: ReadAccess
    ) -> Response:
        """Many factories in one vectorised pass; invalid ones are reported, not fatal."""
        if len(body.factories) > settings.batch_max_factories:
            raise BatchTooLargeError(
                f"{len(body.factories)} factories; at most {settings.batch_max_factories} per "
                "request (DECARB_BATCH_MAX_FACTORIES)"
            )
        model = holder.current
        with collection_paused():
            return _answer_batch(model, body, _request_id(request), metrics, cores)

    @app.post(
        "/v1/footprint",
        response_model=FootprintResponse,
        tags=["accounting"],
        responses=_documented("POST /v1/footprint", *READ_ERRORS),
        openapi_extra={"requestBody": {"content": {"application/json": {"example": {
            "profile": EXAMPLE_PROFILE}}}}},
    )  # fmt: skip
    def footprint(body: FootprintRequest, request: Request, _: ReadAccess) -> FootprintResponse:
        """Carbon accounting only: scope 1, scope 2 location- and market-based, by carrier."""
        return FootprintResponse(
            request_id=_request_id(request), footprint=compute_footprint(body.profile)
        )

    @app.get(
        "/v1/measures",
        response_model=MeasuresResponse,
        tags=["catalogue"],
        responses=_documented("GET /v1/measures", 401, 429),
    )
    def measures(_: ReadAccess) -> MeasuresResponse:
        catalogue = Catalogue.default()
        return MeasuresResponse(
            catalogue_version=catalogue.version, measures=list(catalogue.measures.values())
        )

    @app.get(
        "/v1/model",
        response_model=LoadedModelResponse,
        tags=["model"],
        responses=_documented("GET /v1/model", 401, 429, 503),
    )
    def loaded_model(holder: Holder, _: ReadAccess) -> LoadedModelResponse:
        model = holder.current
        bundle = model.bundle
        return LoadedModelResponse(
            model=_model_info(model),
            loaded_at=holder.loaded_at,
            currency=bundle.currency_,
            factor_table_version=bundle.factor_table_version_,
            catalogue_version=bundle.catalogue_version_,
            training_outcomes=bundle.n_training_outcomes_,
            metrics=model.metrics,
            tags={k: holder.shown(v) for k, v in model.tags.items()},
            last_reload_error=holder.last_error,
            compiled_trees=holder.compiled_trees,
            card=model.card,
            server=ServerInfo(pid=os.getpid(), event_loop=app.state.event_loop),
        )

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadResponse,
        tags=["model"],
        responses=_documented("POST /v1/admin/reload", 401, 403, 429),
    )
    def reload(request: Request, holder: Holder, _: AdminAccess) -> ReloadResponse:
        """Load the model the configured URI points at now; on failure the old one keeps
        serving and the reason is returned."""
        outcome = holder.load()
        metrics.reloads.labels("ok" if outcome.ok else "failed").inc()
        _set_version_gauge(metrics, holder)
        return ReloadResponse(
            request_id=_request_id(request), ok=outcome.ok, version=outcome.version,
            message=outcome.message,
        )  # fmt: skip

    return app


def _answer_batch(
    model: LoadedModel,
    body: BatchRequest,
    request_id: str,
    metrics: ServiceMetrics,
    cores: threading.BoundedSemaphore,
) -> Response:
    """The batch route's answer: each factory validated on its own, the valid ones scored in
    one pass, the JSON body built (its objects are freed when this returns)."""
    items: list[BatchItem | None] = [None] * len(body.factories)
    valid: list[tuple[int, FactoryProfile]] = []
    for i, raw in enumerate(body.factories):
        try:
            valid.append((i, parse_profile(raw)))
        except InvalidValueError as exc:
            fid = raw.get("factory_id") if isinstance(raw.get("factory_id"), str) else None
            items[i] = BatchItem(
                index=i, factory_id=fid, ok=False, error=[invalid_value_detail(exc)]
            )
    results: list[FactoryRecommendations] = []
    if valid:
        with cores:
            results = model.bundle.recommend([p for _, p in valid], body.options)
    _count_warnings(metrics, results)
    for (i, profile), result in zip(valid, results, strict=True):
        items[i] = BatchItem(index=i, factory_id=profile.factory_id, ok=True, result=result)
    return _json(
        BatchResponse(
            request_id=request_id,
            model=_model_info(model),
            results=[item for item in items if item is not None],
        )
    )


def request_model(app: FastAPI) -> LoadedModel:
    """The model serving now (503 while none is loaded)."""
    holder: ModelHolder = app.state.holder
    return holder.current


def _json(body: BaseModel) -> Response:
    """Serialise a response model once (the routes' ``response_model`` documents the schema;
    returning a Response skips FastAPI's second validation and encoding pass)."""
    return Response(body.model_dump_json().encode(), media_type="application/json")


_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


#: Headers on every response: no content sniffing.
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]
#: Headers on HTML pages: only the service's own resources (inline styles and the interactive
#: docs' inline start-up script allowed; the pages themselves carry no script), never inside
#: another site's frame, forms posting only here, no referrer sent elsewhere.
PAGE_SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
     b"object-src 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]  # fmt: skip


def _known_path(scope: Scope) -> str:
    """The route a request that never reached routing (refused by the guard) was for: its path
    when the app has a route of that exact path, else "unmatched" (no label per stray path)."""
    app = scope.get("app")
    paths = getattr(getattr(app, "state", None), "route_paths", None)
    if paths is None and app is not None:
        paths = frozenset(getattr(r, "path", "") for r in getattr(app, "routes", []))
        app.state.route_paths = paths
    path = str(scope.get("path", ""))
    return path if paths and path in paths else "unmatched"


class _Observe:
    """ASGI middleware: request id (from ``x-request-id`` or new), Prometheus counters and
    latency per route, one JSON log line per request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        # A caller's id is kept only if it is short and plain; anything else gets a new one.
        request_id = (
            given.decode("ascii") if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-request-id" not in names:
                    headers.append((b"x-request-id", request_id.encode("latin-1")))
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html")
                           for k, v in headers)  # fmt: skip
                if html:
                    headers += [h for h in PAGE_SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = getattr(scope.get("route"), "path", None) or _known_path(scope)
            self.metrics.requests.labels(path, scope["method"], str(status)).inc()
            self.metrics.latency.labels(path).observe(elapsed)
            if status >= 400:
                self.metrics.errors.labels(path, str(status)).inc()
            if logger.isEnabledFor(logging.INFO):
                holder = getattr(scope["app"].state, "holder", None)
                version = holder.current.version if holder is not None and holder.ready else None
                logger.info(
                    "request",
                    extra={"request_id": request_id, "method": scope["method"], "path": path,
                           "status": status, "ms": round(elapsed * 1000, 2),
                           "model_version": version},
                )  # fmt: skip


def _count_warnings(metrics: ServiceMetrics, results: list[FactoryRecommendations]) -> None:
    for result in results:
        for w in result.input_warnings:
            metrics.input_warnings.labels(w.code, w.field).inc()


def _set_version_gauge(metrics: ServiceMetrics, holder: ModelHolder) -> None:
    version = holder.current.version if holder.ready else None
    metrics.model_version.set(float(version) if version and version.isdigit() else 0.0)
