"""Verified savings as the service takes and answers them: metered energy around one measure in,
its verified savings out (IPMVP Option C, ASHRAE Guideline 14); with ``record``, the result is
also stored as the factory's outcome in one step. ``POST /v1/verifications``
(:mod:`serving.routes.verifications`), the command line and the page run these functions."""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.i18n import Lang
from features.outcomes import CheckedReport, StoredOutcome
from features.profile import ProfileJson, invalid_value
from features.verification import to_outcome_report
from features.verification.meters import read_meters
from features.verification.schema import Verification, VerificationRequest
from serving.outcomes import checked_submission

if TYPE_CHECKING:
    from features.sources.outcome_store import OutcomeStore

#: The meter file shipped with the package: the documentation's example request.
EXAMPLE_METERS = "data/meters_example.csv"
#: Its measure and the month it went into service (docs/verification.md describes the file).
EXAMPLE_MEASURE, EXAMPLE_INSTALLED = "compressed_air_leak_repair", "2024-01"
#: Where the example plant is (its factors).
EXAMPLE_FACTORY, EXAMPLE_REGION = "jiangsu-demo", "Jiangsu"


class VerificationRecord(BaseModel):
    """Store the verification as the factory's outcome (status implemented, the measured
    savings per carrier over the reporting period and the baseline fits)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: ProfileJson = Field(
        description="The factory's profile (same fields as /v1/recommendations); stored with "
        "the outcome so it is a training row."
    )
    factory_id: str | None = Field(
        default=None,
        max_length=128,
        description="Default: the request's factory_id, else the profile's.",
    )


class VerificationApiRequest(VerificationRequest):
    """A verification request, in a language, optionally recorded as an outcome."""

    lang: Lang = Field(default="en", description="Language of messages and verdicts: en or zh.")
    record: VerificationRecord | None = Field(
        default=None, description="Also store the result as an outcome (needs a write key)."
    )


class VerificationResponse(BaseModel):
    """The verification, and the stored outcome's id when it was recorded."""

    request_id: str
    result: Verification
    outcome_id: int | None = Field(
        default=None, description="Id of the stored outcome (GET /v1/outcomes) when recorded."
    )


def base_request(body: VerificationRequest) -> VerificationRequest:
    """The plain verification request inside a wider one (already validated)."""
    return VerificationRequest.model_construct(
        **{name: getattr(body, name) for name in VerificationRequest.model_fields}
    )


def request_of(values: dict[str, Any]) -> VerificationRequest:
    """A verification request from raw values (``Any``: form or command-line values, readings
    as :class:`MeterReading`); the first error as an :class:`InvalidValueError` naming the
    field."""
    try:
        request = VerificationRequest.model_validate(values)
    except ValidationError as exc:
        raise invalid_value(exc, VerificationRequest, "request") from None
    check_measure(request)
    return request


def check_measure(request: VerificationRequest) -> None:
    """Refuse a measure the catalogue does not have, listing the ids it has."""
    measures = Catalogue.default().measures
    if request.measure_id not in measures:
        raise InvalidValueError("measure_id", request.measure_id, sorted(measures))


def outcome_of(
    verification: Verification, profile: dict[str, Any], factory_id: str | None = None
) -> CheckedReport:
    """The verification as an outcome report, checked as ``POST /v1/outcomes`` checks one
    (``Any``: the profile's raw JSON); ``factory_id`` default the verification's, else the
    profile's (a profile of another factory is refused, naming ``profile.factory_id``)."""
    report = to_outcome_report(verification, profile, factory_id)
    return checked_submission(report.model_dump(mode="json", exclude_unset=True))


def store_outcome(store: OutcomeStore, checked: CheckedReport) -> StoredOutcome:
    """Store a checked outcome (a replay of the same report returns the stored one)."""
    stored, _ = store.add(checked)
    return stored


@functools.cache
def example_request() -> dict[str, Any]:
    """The documented request body: the shipped meter file (``Any``: JSON)."""
    data = resources.files("features").joinpath(EXAMPLE_METERS).read_bytes()
    readings = read_meters(data, "meters_example.csv")
    request = request_of({"measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
                          "factory_id": EXAMPLE_FACTORY, "country": "CN", "region": EXAMPLE_REGION,
                          "readings": readings})  # fmt: skip
    body: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return body
