"""``POST /v1/recommendations`` and ``/v1/recommendations/batch``: ranked measures for one
factory, or many in one vectorised pass; and the same scoring for the pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.concurrency import run_in_threadpool

from features.errors import InvalidValueError
from features.profile import FactoryProfile, parse_profile
from models.collector import collection_paused
from models.pyfunc import LoadedModel
from models.schemas import FactoryRecommendations, RecommendOptions
from serving.deps import Holder, ReadAccess, RequestId, Service, Wired
from serving.errors import BatchTooLargeError, invalid_value_detail
from serving.model_state import ModelHolder
from serving.routes.endpoint import (
    EXAMPLE_PROFILE,
    READ_ERRORS,
    count_warnings,
    documented,
    json_response,
    model_info,
    scoring,
)
from serving.schemas import (
    BatchItem,
    BatchRequest,
    BatchResponse,
    RecommendationRequest,
    RecommendationResponse,
)

#: Scores one factory as the API does: ``(profile, options) -> (answer, model)``.
Scorer = Callable[
    [FactoryProfile, RecommendOptions], Awaitable[tuple[FactoryRecommendations, LoadedModel]]
]

router = APIRouter(tags=["recommendations"])


@router.post(
    "/v1/recommendations",
    response_model=RecommendationResponse,
    responses=documented("POST /v1/recommendations", *READ_ERRORS),
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {
        "profile": EXAMPLE_PROFILE,
        "options": {"objective": "most_tco2e", "top_k": 5, "explain": "top"}}}}}},
)  # fmt: skip
@scoring
def recommend(
    body: RecommendationRequest,
    request_id: RequestId,
    holder: Holder,
    service: Wired,
    _: ReadAccess,
) -> Response:
    """Ranked measures for one factory, with footprint, portfolio, pathway and reasons."""
    model = holder.current

    def answer() -> Response:
        with service.cores:
            result = model.bundle.recommend([body.profile], body.options)[0]
        count_warnings(service.metrics, [result])
        return json_response(
            RecommendationResponse(request_id=request_id, model=model_info(model), result=result)
        )

    # The answer's objects are freed when answer() returns, before collection resumes.
    with collection_paused():
        return answer()


@router.post(
    "/v1/recommendations/batch",
    response_model=BatchResponse,
    responses=documented("POST /v1/recommendations/batch", *READ_ERRORS),
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {
        "factories": [EXAMPLE_PROFILE, {**EXAMPLE_PROFILE, "factory_id": "plant-8",
                                        "region": "Yunnan"}],
        "options": {"top_k": 3, "explain": "none", "lang": "zh"}}}}}},
)  # fmt: skip
@scoring
def recommend_batch(
    body: BatchRequest, request_id: RequestId, holder: Holder, service: Wired, _: ReadAccess
) -> Response:
    """Many factories in one vectorised pass; invalid ones are reported, not fatal."""
    most = service.settings.batch_max_factories
    if len(body.factories) > most:
        raise BatchTooLargeError(
            f"{len(body.factories)} factories; at most {most} per request "
            "(DECARB_BATCH_MAX_FACTORIES)"
        )
    model = holder.current
    with collection_paused():
        return _answer_batch(model, body, request_id, service)


def _answer_batch(
    model: LoadedModel, body: BatchRequest, request_id: str, service: Service
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
        with service.cores:
            results = model.bundle.recommend([p for _, p in valid], body.options)
    count_warnings(service.metrics, results)
    for (i, profile), result in zip(valid, results, strict=True):
        items[i] = BatchItem(index=i, factory_id=profile.factory_id, ok=True, result=result)
    return json_response(
        BatchResponse(
            request_id=request_id,
            model=model_info(model),
            results=[item for item in items if item is not None],
        )
    )


def page_scorer(app: FastAPI) -> Scorer:
    """One factory through the model ``app`` serves now, as the API scores it (for the pages;
    503 while none is loaded)."""

    async def score(
        profile: FactoryProfile, options: RecommendOptions
    ) -> tuple[FactoryRecommendations, LoadedModel]:
        holder: ModelHolder = app.state.holder
        service: Service = app.state.service
        model = holder.current

        def run() -> FactoryRecommendations:
            with service.cores, collection_paused():
                return model.bundle.recommend([profile], options)[0]

        result = await run_in_threadpool(run)
        count_warnings(service.metrics, [result])
        return result, model

    return score
