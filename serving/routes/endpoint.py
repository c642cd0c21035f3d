"""What an endpoint declares beside its route, shared by the route modules: its recorded answer
for the OpenAPI document (:func:`documented`), whether it scores (:func:`scoring`), and the
helpers its answer is built with."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any, TypeVar

from fastapi import Response
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from models.pyfunc import MODEL_NAME, LoadedModel, parse_registry_uri
from models.redact import redact
from models.schemas import FactoryRecommendations
from serving.errors import error_responses
from serving.metrics import ServiceMetrics
from serving.schemas import ModelInfo

F = TypeVar("F", bound=Callable[..., Any])

#: What every scoring /v1 route can answer besides 200 (auth and limits apply before it runs).
READ_ERRORS = (400, 401, 404, 405, 413, 422, 429, 503)

#: The profile of the documented requests.
EXAMPLE_PROFILE: dict[str, Any] = {
    "factory_id": "plant-7", "country": "CN", "region": "Guangdong",
    "sector": "electronics_appliances", "reporting_year": 2023, "employees": 420,
    "electricity_kwh": 8.5e6,
    "energy_use": [{"carrier": "natural_gas", "value": 4.0e5, "unit": "Nm3"}],
    "roof_area_available_m2": 12000,
}  # fmt: skip


@functools.cache
def response_examples() -> dict[str, Any]:
    """The recorded answers, keyed ``"METHOD /path"`` (``scripts/build_api_examples.py``
    records one per documented endpoint; ``Any``: JSON)."""
    text = resources.files("serving").joinpath("data/response_examples.json").read_text("utf-8")
    examples: dict[str, Any] = json.loads(text)
    return examples


#: The operations ("METHOD /path") that show a recorded answer (:func:`documented`).
DOCUMENTED: set[str] = set()


def documented(operation: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The responses of ``operation`` ("METHOD /path") for OpenAPI: its recorded 200 answer and
    its errors. An endpoint with no recorded answer yet is documented without one (the
    example builder and the tests name it) rather than failing the app's build."""
    DOCUMENTED.add(operation)
    example = response_examples().get(operation)
    if example is None:
        return error_responses(*errors)
    ok = {"content": {"application/json": {"example": example}}}
    return {200: ok, **error_responses(*errors)}


_SCORING: set[Callable[..., Any]] = set()


def scoring(endpoint: F) -> F:
    """Mark an endpoint as scoring (under its route decorator): the guard admits its requests
    only while a scoring slot is free (``max_in_flight``)."""
    _SCORING.add(endpoint)
    return endpoint


def scoring_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths of the endpoints marked :func:`scoring` among ``routes`` (an app's, included
    routers followed)."""
    return frozenset(
        context.path
        for context in iter_route_contexts(list(routes))
        if isinstance(context.original_route, APIRoute)
        and context.original_route.endpoint in _SCORING
        and context.path is not None
    )


def model_info(model: LoadedModel) -> ModelInfo:
    """Which model answered: its registry name, URI (no secrets), version, run and data."""
    ref = parse_registry_uri(model.uri)
    name = ref.name if ref is not None else MODEL_NAME
    card = model.card
    return ModelInfo(
        name=name,
        uri=redact(model.uri),
        version=model.version,
        run_id=model.run_id,
        trained_on=card.summary,
        generated_data=card.trained_on.generated,
    )


def json_response(body: BaseModel) -> Response:
    """Serialise a response model once (the route's ``response_model`` documents the schema;
    returning a Response skips FastAPI's second validation and encoding pass)."""
    return Response(body.model_dump_json().encode(), media_type="application/json")


def count_warnings(metrics: ServiceMetrics, results: list[FactoryRecommendations]) -> None:
    """Count the input warnings of answered factories, per code and field."""
    for result in results:
        for w in result.input_warnings:
            metrics.input_warnings.labels(w.code, w.field).inc()
