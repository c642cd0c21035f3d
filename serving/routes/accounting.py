"""``POST /v1/footprint``: carbon accounting of one factory, without the model."""

from __future__ import annotations

from fastapi import APIRouter

from features.accounting.footprint import compute_footprint
from serving.deps import ReadAccess, RequestId
from serving.routes.endpoint import EXAMPLE_PROFILE, READ_ERRORS, documented, scoring
from serving.schemas import FootprintRequest, FootprintResponse

router = APIRouter(tags=["accounting"])


@router.post(
    "/v1/footprint",
    response_model=FootprintResponse,
    responses=documented("POST /v1/footprint", *READ_ERRORS),
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {
        "profile": EXAMPLE_PROFILE}}}}},
)  # fmt: skip
@scoring
def footprint(body: FootprintRequest, request_id: RequestId, _: ReadAccess) -> FootprintResponse:
    """Carbon accounting only: scope 1, scope 2 location- and market-based, by carrier."""
    return FootprintResponse(request_id=request_id, footprint=compute_footprint(body.profile))
