"""The FastAPI application: wiring only. The routes (one module per resource) are in
:mod:`serving.routes`, what they are handed in :mod:`serving.deps`; here the app is built, its
middleware stacked and the model loaded in the lifespan (start-up), never at import."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.compiled import default_compiled_cache
from models.pyfunc import resolve_tracking_uri
from serving import pages, render_pool
from serving.deps import Service
from serving.errors import install_error_handlers
from serving.guard import Guard
from serving.metrics import ServiceMetrics
from serving.model_state import ModelHolder
from serving.outcomes import StoreHolder
from serving.routes import PAGE_SCORING_PATHS, ROUTERS
from serving.routes.endpoint import EXAMPLE_PROFILE, response_examples, scoring_paths
from serving.routes.model import set_version_gauge
from serving.routes.recommendations import page_scorer
from serving.settings import Settings, get_settings

__all__ = ["EXAMPLE_PROFILE", "create_app", "response_examples"]

logger = logging.getLogger("decarb.serving")


def create_app(settings: Settings | None = None, holder: ModelHolder | None = None) -> FastAPI:
    """Build the app on ``settings`` (default :func:`get_settings`); ``holder``: a model holder
    to serve from instead of one made at start-up from the settings."""
    settings = settings or get_settings()
    app = FastAPI(
        title="decarb-recommender",
        version="1",
        description="Ranked emission-reduction measures for factories, with predicted tCO2e, "
        "costs, adoption and explanations.",
        lifespan=_lifespan,
        docs_url=None,  # served by serving.pages from the installed assets (works offline)
        redoc_url=None,
    )
    app.state.settings = settings  # what the routes' dependencies read (serving.auth)
    app.state.service = Service(
        settings=settings,
        metrics=ServiceMetrics(),
        cores=threading.BoundedSemaphore(settings.scoring_threads or os.cpu_count() or 1),
        store=StoreHolder(settings.database_url),
    )
    if holder is not None:
        app.state.holder = holder
    install_error_handlers(app)
    pages.install(app, settings, page_scorer(app))
    for router in ROUTERS:
        app.include_router(router)
    scoring = scoring_paths(app.routes) | set(PAGE_SCORING_PATHS)
    # Innermost first: limits, then request ids, metrics and logs (so refusals are counted),
    # then CORS outermost (a browser's preflight never needs a key).
    app.add_middleware(Guard, settings=settings, scoring_paths=scoring)
    app.add_middleware(_Observe, metrics=app.state.service.metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            max_age=600,
        )
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the model at start-up (the given holder, else one made from the settings), poll
    for new versions if asked; stop polling, close the outcomes store and stop the PDF
    renderers at shut-down."""
    service: Service = app.state.service
    own: ModelHolder = getattr(app.state, "holder", None) or _new_holder(service.settings)
    app.state.holder = own
    if own.signing_key is None:
        logger.warning(
            "no model signing key (DECARB_MODEL_SIGNING_KEY): a model's bundle is checked "
            "against the plain SHA-256 its training run records, which anyone who can write "
            "to the registry can forge (docs/deploy.md)"
        )
    app.state.event_loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    if not own.ready:
        outcome = own.load_at_start(service.settings.store_timeout_seconds)
        if outcome is not None:
            service.metrics.reloads.labels("ok" if outcome.ok else "failed").inc()
            logger.info("model load at start-up", extra={"outcome": outcome.message})
    set_version_gauge(service.metrics, own)
    if service.settings.reload_poll_seconds:
        own.start_polling(service.settings.reload_poll_seconds)
    yield
    own.stop()
    service.store.close()
    render_pool.shutdown()


def _new_holder(settings: Settings) -> ModelHolder:
    """The holder of the model ``settings`` name, with compiled trees if they are on."""
    cache = None
    if settings.compiled_trees:
        cache = Path(settings.compiled_cache or default_compiled_cache())
    key = settings.model_signing_key
    return ModelHolder(
        settings.model_uri,
        resolve_tracking_uri(settings.tracking_uri),
        cache,
        key.get_secret_value() if key else None,
    )


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
        routes = list(getattr(app, "routes", []))
        paths = frozenset(c.path for c in iter_route_contexts(routes) if c.path is not None)
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
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
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
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "model_version": version,
                    },
                )
