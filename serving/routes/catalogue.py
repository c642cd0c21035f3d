"""``GET /v1/measures``: the measure catalogue the model ranks."""

from __future__ import annotations

from fastapi import APIRouter

from features.catalogue.measures import Catalogue
from serving.deps import ReadAccess
from serving.routes.endpoint import documented
from serving.schemas import MeasuresResponse

router = APIRouter(tags=["catalogue"])


@router.get(
    "/v1/measures",
    response_model=MeasuresResponse,
    responses=documented("GET /v1/measures", 401, 429),
)
def measures(_: ReadAccess) -> MeasuresResponse:
    catalogue = Catalogue.default()
    return MeasuresResponse(
        catalogue_version=catalogue.version, measures=list(catalogue.measures.values())
    )
