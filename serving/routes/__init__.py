"""The HTTP API by resource: one module-level ``APIRouter`` per module, each endpoint with its
recorded answer and its scoring flag beside it (:mod:`serving.routes.endpoint`); their
dependencies come from :mod:`serving.deps`. The pages (:mod:`serving.pages`) add their own."""

from __future__ import annotations

from fastapi import APIRouter

from serving.guard import PAGE_SCORING_PATHS as PAGE_RESULT_PATHS
from serving.routes import (
    accounting,
    catalogue,
    health,
    model,
    outcomes,
    recommendations,
    verifications,
)

#: The API's routers, in the order the OpenAPI document lists their paths.
ROUTERS: tuple[APIRouter, ...] = (
    outcomes.router, verifications.router, health.router, recommendations.router,
    accounting.router, catalogue.router, model.router,
)  # fmt: skip

#: Scoring routes the pages add, which do not mark themselves: the report PDF (``POST
#: /v1/reports``) and the result pages (which the guard also rate-limits by page client).
PAGE_SCORING_PATHS: tuple[str, ...] = ("/v1/reports", *PAGE_RESULT_PATHS)
