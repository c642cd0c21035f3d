"""``GET /v1/model`` and ``POST /v1/admin/reload``: which model serves, and loading the one
the configured URI points at now."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request

from serving.deps import AdminAccess, Holder, ReadAccess, RequestId, Wired
from serving.metrics import ServiceMetrics
from serving.model_state import ModelHolder
from serving.routes.endpoint import documented, model_info
from serving.schemas import LoadedModelResponse, ReloadResponse, ServerInfo

router = APIRouter(tags=["model"])


@router.get(
    "/v1/model",
    response_model=LoadedModelResponse,
    responses=documented("GET /v1/model", 401, 429, 503),
)
def loaded_model(request: Request, holder: Holder, _: ReadAccess) -> LoadedModelResponse:
    model = holder.current
    bundle = model.bundle
    return LoadedModelResponse(
        model=model_info(model),
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
        server=ServerInfo(pid=os.getpid(), event_loop=request.app.state.event_loop),
    )


@router.post(
    "/v1/admin/reload",
    response_model=ReloadResponse,
    responses=documented("POST /v1/admin/reload", 401, 403, 429),
)
def reload(request_id: RequestId, holder: Holder, service: Wired, _: AdminAccess) -> ReloadResponse:
    """Load the model the configured URI points at now; on failure the old one keeps
    serving and the reason is returned."""
    outcome = holder.load()
    service.metrics.reloads.labels("ok" if outcome.ok else "failed").inc()
    set_version_gauge(service.metrics, holder)
    return ReloadResponse(
        request_id=request_id, ok=outcome.ok, version=outcome.version, message=outcome.message
    )


def set_version_gauge(metrics: ServiceMetrics, holder: ModelHolder) -> None:
    """The loaded model's version as the gauge (0: none, or not a number)."""
    version = holder.current.version if holder.ready else None
    metrics.model_version.set(float(version) if version and version.isdigit() else 0.0)
