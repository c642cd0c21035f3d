"""``/healthz``, ``/readyz`` and ``/metrics``: is the process alive, is a model loaded, and the
Prometheus counters."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serving.deps import Holder, Wired
from serving.routes.endpoint import documented
from serving.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses=documented("GET /healthz"))
def healthz() -> Health:
    return Health(status="alive")


@router.get("/readyz", response_model=Health, responses=documented("GET /readyz", 503))
def readyz(holder: Holder) -> Health:
    model = holder.current  # raises 503 when none is loaded
    return Health(status="ready", model_version=model.version)


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text exposition format"}})  # fmt: skip
def prometheus(service: Wired) -> Response:
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
