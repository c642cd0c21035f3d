"""Request and response models of the HTTP API (units in the field descriptions)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from features.accounting.footprint import Footprint
from features.catalogue.measures import Measure
from features.profile import FactoryProfile
from models.card import ModelCard
from models.schemas import FactoryRecommendations, RecommendOptions

_EXAMPLE_PROFILE: dict[str, Any] = {
    "factory_id": "zhejiang-dyeing-1",
    "country": "CN",
    "region": "Zhejiang",
    "sector": "textiles",
    "naics_code": "313310",
    "reporting_year": 2023,
    "employees": 600,
    "operating_hours_per_year": 7200,
    "electricity_kwh": 2.5e7,
    "coal_gj": 6.0e5,
    "heat_sink_temperature_c": 150,
    "roof_area_available_m2": 20000,
    "end_uses": [
        {"carrier": "coal", "end_use": "steam", "share": 0.95},
        {"carrier": "electricity", "end_use": "machine_drive", "value": 1.4e7, "unit": "kWh"},
    ],
}


class RecommendationRequest(BaseModel):
    """One factory and how to rank its measures."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"profile": _EXAMPLE_PROFILE, "options": {"top_k": 5, "explain": "top"}}]
        },
    )

    profile: FactoryProfile
    options: RecommendOptions = Field(default_factory=RecommendOptions)


class BatchRequest(BaseModel):
    """Many factories, scored together; each is validated on its own."""

    model_config = ConfigDict(extra="forbid")

    # Any: raw profiles, validated one by one so a bad one does not fail the others.
    factories: list[dict[str, Any]] = Field(min_length=1)
    options: RecommendOptions = Field(default_factory=RecommendOptions)


class FootprintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: FactoryProfile


class ModelInfo(BaseModel):
    """Which model answered, and what it was trained on."""

    name: str
    uri: str
    version: str | None
    run_id: str | None
    trained_on: str = Field(default="", description="One sentence on the training data.")
    generated_data: bool | None = Field(
        default=None, description="True: trained on generated data, not real outcomes."
    )


class RecommendationResponse(BaseModel):
    request_id: str
    model: ModelInfo
    result: FactoryRecommendations


class BatchItem(BaseModel):
    index: int
    factory_id: str | None
    ok: bool
    result: FactoryRecommendations | None = None
    error: list[dict[str, Any]] | None = None  # Any: {field, value, allowed, message}


class BatchResponse(BaseModel):
    request_id: str
    model: ModelInfo
    results: list[BatchItem]


class FootprintResponse(BaseModel):
    request_id: str
    footprint: Footprint


class MeasuresResponse(BaseModel):
    catalogue_version: str
    measures: list[Measure]


class ServerInfo(BaseModel):
    """Which worker answered and what it runs on."""

    pid: int = Field(description="Worker process id (one per --workers).")
    event_loop: str = Field(description="Module of the asyncio event loop (uvloop in service).")


class LoadedModelResponse(BaseModel):
    model: ModelInfo
    loaded_at: float | None
    currency: str
    factor_table_version: str
    catalogue_version: str
    training_outcomes: int
    # Any: metric values and tags as logged in the MLflow run.
    metrics: dict[str, float]
    tags: dict[str, Any]
    last_reload_error: str | None
    compiled_trees: str = Field(
        description="Whether predictions run on compiled trees: off, compiling, ready (with "
        "how many boosters, built or from the cache) or failed with the reason."
    )
    card: ModelCard = Field(description="Training data, held-out metrics and caveats.")
    server: ServerInfo = Field(description="The worker process that answered.")


class ReloadResponse(BaseModel):
    request_id: str
    ok: bool
    version: str | None
    message: str


class Health(BaseModel):
    status: str
    model_version: str | None = None
