"""What a sector measure does to a production line (a catalogue measure's ``route`` block):
the output it covers, the energy it removes, replaces or adds per t, the process emissions it
removes, the CO2 it captures, its capex and maturity, each a sourced range. Read by the catalogue
(``features.catalogue.measures``) and estimated by ``features.process_routes.estimate``; this
package does not import the catalogue."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features.units import Carrier


class SourcedRange(BaseModel):
    """A low-high range of a route measure's parameter, with its unit and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float
    unit: str = ""
    source: str = Field(min_length=10)

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


class Capture(BaseModel):
    """CO2 capture: what it captures and the energy it needs per t captured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: Literal["process_and_fuel", "pure_co2"] = Field(
        description="process_and_fuel: process CO2 plus the combustion CO2 of the measure's "
        "end uses (flue gas); pure_co2: the route's high-purity stream (pure_co2_t_per_t)."
    )
    rate: SourcedRange = Field(description="Fraction of the stream captured.")
    heat_gj_per_tco2: SourcedRange
    heat_carrier: Carrier = Carrier.NATURAL_GAS
    electricity_kwh_per_tco2: SourcedRange


class RouteEffect(BaseModel):
    """How a sector measure acts on a production line: the share of output it covers, the
    energy it removes, replaces or adds per t, the process emissions it removes (a route change
    brings its new route's process emissions) and CO2 it captures. Estimated by engineering
    arithmetic from these ranges (features.process_routes.estimate), not learned: no outcome data
    exist for these measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    applies_to: tuple[str, ...] = Field(
        description="Production lines it acts on, as product/route "
        "(features/data/process_routes.yaml)."
    )
    share: SourcedRange = Field(description="Fraction of the matching lines' output covered.")
    energy_fraction: SourcedRange | None = Field(
        default=None,
        description="Fraction of the measure's end-use energy (carriers_reduced x end_uses) "
        "removed for the covered output; 1 for a route change.",
    )
    replace_with: Carrier | None = None
    replace_ratio: SourcedRange | None = Field(
        default=None, description="GJ of replace_with per GJ removed."
    )
    energy_per_t: dict[Carrier, SourcedRange] = Field(
        default_factory=dict,
        description="Change per t of covered output in the carrier's canonical unit (kWh, GJ); "
        "positive = more used, negative = generated or saved.",
    )
    process_fraction: SourcedRange | None = Field(
        default=None,
        description="Fraction of the lines' process emissions (process_gases) removed.",
    )
    process_gases: tuple[str, ...] = ("CO2",)
    to_route: str | None = Field(
        default=None,
        description="product/route the covered output moves to (adds its process emissions).",
    )
    capture: Capture | None = None
    capex: SourcedRange = Field(
        description="USD (2023) per t/yr of covered output or per t CO2/yr captured."
    )
    capex_per: Literal["t_output", "tco2_captured"] = "t_output"
    maturity: Literal["commercial", "demonstration", "emerging"]
    maturity_source: str = Field(min_length=10)
