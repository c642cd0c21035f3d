"""What a verification takes and gives: metered energy per period (in any unit a profile takes),
and the avoided energy and emissions after a measure with their uncertainty and the baseline fit
that carries them (IPMVP Option C / ISO 50015 / ASHRAE Guideline 14).

These records are the contract between the statistics (``features.verification``), the command
line (``decarb-verify``), ``POST /v1/verifications``, the page and the PDF."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.profile import region_names
from features.regions import Country
from features.units import Carrier, allowed_units

#: A month YYYY-MM, and a day YYYY-MM-DD that exists in every year from 1000 (features/
#: verification/periods.py also takes single-digit months and days, years 1-999 and 29 February
#: of a leap year).
MONTH_PATTERN = "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
DAY_PATTERN = (
    "^[1-9][0-9]{3}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|"
    "(0[13578]|1[02])-31)$"
)


def _reading_schema(schema: dict[str, Any]) -> None:
    """What a reading's checks accept, in the API schema (``Any``: JSON schema): a month, or
    a day with its period_end (features/verification/periods.py ``parse_span``), and a unit
    of the carrier (features.units.allowed_units)."""
    day = {"type": "string", "pattern": DAY_PATTERN}
    schema["allOf"] = [
        {
            "anyOf": [
                {
                    "properties": {
                        "period": {"pattern": MONTH_PATTERN},
                        "period_end": {"anyOf": [day, {"type": "null"}]},
                    }
                },
                {
                    "required": ["period_end"],
                    "properties": {"period": {"pattern": DAY_PATTERN}, "period_end": day},
                },
            ]
        },
        {
            "anyOf": [
                {"properties": {"carrier": {"const": c.value}, "unit": {"enum": allowed_units(c)}}}
                for c in Carrier
            ]
        },
    ]


def _request_schema(schema: dict[str, Any]) -> None:
    """A catalogue measure, the installed month and a region of the country, in the API
    schema (``Any``: JSON schema)."""
    properties = schema["properties"]
    properties["measure_id"]["enum"] = sorted(Catalogue.default().measures)
    properties["installed"]["pattern"] = MONTH_PATTERN
    region = {c: {"anyOf": [{"enum": names}, {"type": "null"}]}
              for c, names in region_names().items()}  # fmt: skip
    schema["anyOf"] = [  # country CN when not given
        {"properties": {"country": {"const": "CN"}, "region": region["CN"]}},
        {
            "required": ["country"],
            "properties": {"country": {"const": "US"}, "region": region["US"]},
        },
    ]


#: Forms a baseline can take (chosen by the data; see ``features.verification.baseline``).
BaselineForm = Literal[
    "mean",
    "production",
    "production_hdd",
    "production_cdd",
    "production_hdd_cdd",
    "change_point_heating",
    "change_point_cooling",
]
Verdict = Literal["verified", "not_verifiable", "no_savings_detected"]


class MeterReading(BaseModel):
    """Metered use of one carrier over one period, as the plant reads it off its bills or meters."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, json_schema_extra=_reading_schema
    )

    period: str = Field(
        description="Start of the period: YYYY-MM (a calendar month) or YYYY-MM-DD (a week or "
        "day when period_end is given)."
    )
    period_end: str | None = Field(
        default=None,
        description="Last day of the period (inclusive), YYYY-MM-DD; default the "
        "end of the month in `period`.",
    )
    carrier: Carrier
    quantity: float = Field(ge=0, le=1e15, description="Energy used in the period, in `unit`.")
    unit: str = Field(
        description="Any unit a profile takes for the carrier (kWh, MWh, 万kWh, "
        "GJ, MMBtu, therm, Nm3, 万Nm3, t, tce, ...)."
    )
    production: float | None = Field(
        default=None, ge=0, le=1e15, description="Output in the period (any consistent unit)."
    )
    hdd: float | None = Field(default=None, ge=0, le=1e5, description="Heating degree days.")
    cdd: float | None = Field(default=None, ge=0, le=1e5, description="Cooling degree days.")
    temperature_c: float | None = Field(
        default=None, ge=-80, le=70, description="Mean outdoor temperature over the period, °C."
    )
    non_routine: str | None = Field(
        default=None,
        max_length=500,
        description="A non-routine event in this period (a new "
        "line, a shutdown): the period is left out of the fit and the savings, and the report "
        "says so, unless `adjustment` is given.",
    )
    adjustment: float | None = Field(
        default=None,
        ge=-1e15,
        le=1e15,
        description="Non-routine adjustment in `unit`: energy "
        "the event added to this period (negative: removed); added to the projected baseline "
        "instead of leaving the period out.",
    )

    @field_validator(
        "quantity", "production", "hdd", "cdd", "temperature_c", "adjustment", mode="before"
    )
    @classmethod
    def _not_bool(cls, value: Any, info: ValidationInfo) -> Any:
        # Any: the raw value; true/false is no number (pydantic would read them as 1 and 0).
        if isinstance(value, bool):
            raise InvalidValueError(str(info.field_name), value, "a number")
        return value


class VerificationRequest(BaseModel):
    """A plant's metered history around one measure."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, json_schema_extra=_request_schema
    )

    measure_id: str = Field(description="Catalogue measure id (GET /v1/measures).")
    installed: str = Field(
        description="Month the measure went into service, YYYY-MM; the "
        "month itself is neither baseline nor reporting period."
    )
    factory_id: str | None = Field(default=None, max_length=128)
    country: Country = Field(default=Country.CN, description="ISO country code: CN or US.")
    region: str | None = Field(default=None, description="Province or state, for the factors.")
    confidence: float = Field(
        default=0.90, ge=0.5, le=0.99, description="Two-sided level of the savings uncertainty."
    )
    readings: list[MeterReading] = Field(min_length=1, max_length=20_000)


class BaselineFit(BaseModel):
    """The baseline model of one carrier and how well it fits (ASHRAE Guideline 14)."""

    model_config = ConfigDict(frozen=True)

    carrier: Carrier
    form: BaselineForm
    coefficients: dict[str, float] = Field(description="Per canonical unit and period.")
    balance_point_c: float | None = None
    n_baseline: int
    r2: float
    cv_rmse: float = Field(description="CV(RMSE), a fraction (0.12 = 12%).")
    nmbe: float = Field(description="Normalised mean bias error, a fraction.")
    autocorrelation: float = Field(description="Lag-1 autocorrelation of the residuals.")
    cv_rmse_limit: float
    nmbe_limit: float
    passes: bool = Field(description="Within Guideline 14's limits on CV(RMSE) and NMBE.")


class SeriesPoint(BaseModel):
    """One period of the chart: metered use against the baseline (canonical units)."""

    model_config = ConfigDict(frozen=True)

    period: date
    period_end: date
    carrier: Carrier
    metered: float
    baseline: float = Field(description="Fitted (baseline period) or projected (reporting).")
    phase: Literal["baseline", "installation", "reporting"]
    excluded: str | None = Field(default=None, description="Non-routine note when left out.")
    adjustment: float = 0.0


class CarrierSavings(BaseModel):
    """Avoided energy and emissions of one carrier over the reporting period."""

    model_config = ConfigDict(frozen=True)

    carrier: Carrier
    unit: str = Field(description="Canonical unit: kWh for electricity, GJ (LHV) for fuels.")
    reporting_periods: int
    reporting_start: date
    reporting_end: date
    baseline_projected: float = Field(description="Adjusted baseline over the reporting period.")
    metered: float
    non_routine_adjustment: float
    saved: float = Field(description="Avoided energy over the reporting period (negative: more).")
    saved_per_year: float
    fraction: float = Field(description="saved / baseline_projected.")
    uncertainty: float = Field(
        description="Half-width of `saved` at `confidence` (Guideline 14 "
        "fractional savings uncertainty), same unit."
    )
    fractional_uncertainty: float
    confidence: float
    tco2e_per_year_location: float
    tco2e_per_year_market: float
    tco2e_uncertainty_per_year: float
    verdict: Verdict
    excluded_periods: list[str] = Field(default_factory=list)


class Verification(BaseModel):
    """Verified savings of a measure: per carrier, in total, with the fits and the chart series."""

    model_config = ConfigDict(frozen=True)

    measure_id: str
    factory_id: str | None
    installed: str
    confidence: float
    verdict: Verdict
    carriers: list[CarrierSavings]
    fits: list[BaselineFit]
    tco2e_per_year_location: float
    tco2e_per_year_market: float
    tco2e_uncertainty_per_year: float
    factor_sources: list[str]
    messages: list[str] = Field(
        description="Verdicts, exclusions and caveats in plain words, in the language asked for."
    )
    method: str = Field(description="What was done, with the standard it follows.")
    series: list[SeriesPoint]
