"""The schemathesis hooks drop only what the API refuses: every request a rule drops is refused
by the API's own validation (so each rule names a real rule), and valid requests are kept."""

from __future__ import annotations

from typing import Any

import pytest

from features.errors import InvalidValueError
from features.profile import parse_profile
from features.verification.engine import verify
from features.verification.schema import VerificationRequest
from serving.outcomes import checked_submission
from serving.schemas import _EXAMPLE_PROFILE
from tests.serving.schemathesis_hooks import keeps_rules

PROFILE: dict[str, Any] = {**_EXAMPLE_PROFILE}

#: A profile breaking one rule each (the example profile otherwise).
BROKEN_PROFILES = {
    "end use above the carrier's use": {
        "end_uses": [{"carrier": "coal", "end_use": "steam", "value": 7.0e5}]
    },
    "shares above 1": {
        "end_uses": [
            {"carrier": "coal", "end_use": "steam", "share": 0.8},
            {"carrier": "coal", "end_use": "process_heating", "share": 0.3},
        ]
    },
    "green power above the grid's": {"green_certificates_kwh": 3.0e7},
    "carrier twice": {"energy_use": [{"carrier": "coal", "value": 10, "unit": "t"}]},
    "energy_use above one site": {
        "energy_use": [{"carrier": "natural_gas", "value": 1e9, "unit": "万Nm3"}]
    },
    "money above the currency's range": {"revenue_currency": "USD", "annual_revenue": 1e13},
}


def test_a_valid_profile_is_kept() -> None:
    parse_profile(PROFILE)
    assert keeps_rules("/v1/recommendations", {"profile": PROFILE})


@pytest.mark.parametrize("change", BROKEN_PROFILES.values(), ids=list(BROKEN_PROFILES))
def test_a_dropped_profile_is_one_the_api_refuses(change: dict[str, Any]) -> None:
    profile = {**PROFILE, **change}
    assert not keeps_rules("/v1/recommendations", {"profile": profile})
    with pytest.raises(InvalidValueError):
        parse_profile(profile)


REPORT: dict[str, Any] = {
    "factory_id": PROFILE["factory_id"],
    "measure_id": "variable_speed_drives",
    "status": "implemented",
    "period_start": "2026-03-01",
    "period_end": "2026-08-31",
    "measured_savings": [{"carrier": "electricity", "value": 21.5, "unit": "万kWh"}],
    "profile": PROFILE,
}
BROKEN_REPORTS = {
    "savings without a period": {"period_end": None},
    "period under 7 days": {"period_end": "2026-03-03"},
    "savings of a planned measure": {"status": "planned"},
    "rejected without a reason": {"status": "rejected", "measured_savings": []},
    "a carrier twice": {"measured_savings": REPORT["measured_savings"] * 2},
    "another factory's profile": {"factory_id": "another-plant"},
    "capex above the currency's range": {"actual_capex": 1e13},
    "savings above one site's use": {
        "measured_savings": [{"carrier": "electricity", "value": 1e10, "unit": "万kWh"}]
    },
    "a NUL character": {"model_version": "v\x003"},
}


def test_a_valid_outcome_is_kept() -> None:
    checked_submission(REPORT)
    assert keeps_rules("/v1/outcomes", REPORT)


@pytest.mark.parametrize("change", BROKEN_REPORTS.values(), ids=list(BROKEN_REPORTS))
def test_a_dropped_outcome_is_one_the_api_refuses(change: dict[str, Any]) -> None:
    report = {**REPORT, **change}
    assert not keeps_rules("/v1/outcomes", report)
    with pytest.raises(InvalidValueError):
        checked_submission(report)


def _reading(period: str, end: str | None = None) -> dict[str, Any]:
    return {
        "period": period,
        "period_end": end,
        "carrier": "electricity",
        "quantity": 1e5,
        "unit": "kWh",
    }


@pytest.mark.parametrize(
    "readings",
    [
        [_reading("2024-03-10", "2024-03-01")],
        [_reading("2024-03"), _reading("2024-03-31", "2024-04-05")],
    ],
    ids=["ends before it starts", "overlapping periods"],
)
def test_dropped_readings_are_ones_the_api_refuses(readings: list[dict[str, Any]]) -> None:
    request = {"measure_id": "compressed_air_leak_repair", "installed": "2024-01",
               "readings": readings}  # fmt: skip
    assert not keeps_rules("/v1/verifications", request)
    with pytest.raises(InvalidValueError):
        verify(VerificationRequest.model_validate(request))
    kept = {**request, "readings": [_reading("2024-03"), _reading("2024-04")]}
    assert keeps_rules("/v1/verifications", kept)
