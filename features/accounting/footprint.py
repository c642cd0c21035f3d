"""Carbon accounting of a factory and of a measure's energy changes, in tCO2e per year.

- Scope 1: combustion of fuels on site (fossil CO2 + CH4 + N2O as CO2e, AR5 GWP). Biogenic CO2 of
  biomass is reported separately, outside the scopes (GHG Protocol).
- Scope 1 also holds process emissions (:mod:`features.process_routes`): CO2 and PFCs whose
  carbon or fluorine is in no declared energy carrier (fluxes, anodes, electrodes, calcination,
  glass batch, anode effects), from IPCC 2006 Vol. 3 defaults or the profile's measured values.
- Removals: CO2 captured on site and permanently stored, its own line; the net totals deduct it.
- Scope 2, location-based: grid electricity and purchased heat at the average factor of where the
  factory is. On-site renewable generation carries no emissions.
- Scope 2, market-based: electricity covered by green-power contracts and by certificates at zero;
  the rest at the residual-mix factor where one is published (China's "average excluding
  market-traded non-fossil electricity"), else at the location factor (with a note). The kWh
  covered by certificates are reported apart from the physical contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features.accounting.factors import FactorTable, ResolvedFactor
from features.errors import MissingFactorError
from features.i18n import human
from features.messages import Message, MessageText
from features.process_routes.emissions import ProcessEmission, process_emissions
from features.profile import FactoryProfile
from features.units import (
    CANONICAL_UNIT,
    COMBUSTION_CARRIERS,
    GJ_PER_TCE,
    KGCE_PER_KWH,
    KGCE_PER_KWH_SUPPLY,
    Carrier,
)

SCOPE2_CARRIERS: tuple[Carrier, ...] = (Carrier.ELECTRICITY, Carrier.PURCHASED_HEAT)


class FactorUsed(BaseModel):
    """The emission factor applied to one carrier."""

    model_config = ConfigDict(frozen=True)

    factor_id: str
    kgco2e_per_unit: float = Field(description="kg CO2e per canonical unit of the carrier.")
    unit: str = Field(description="Canonical unit the factor applies to (kWh or GJ).")
    year: int | None
    source: str
    note: MessageText = Field(default="", validate_default=True)


class CarrierEmissions(BaseModel):
    """Emissions of one carrier."""

    model_config = ConfigDict(frozen=True)

    carrier: Carrier
    scope: Literal[1, 2]
    energy: float = Field(description="Annual use in `unit`.")
    unit: str
    tco2e: float
    biogenic_tco2: float = 0.0
    factor: FactorUsed


class MarketBasedScope2(BaseModel):
    """How the market-based scope 2 figure of electricity is made up."""

    model_config = ConfigDict(frozen=True)

    grid_electricity_kwh: float
    green_contract_kwh: float
    certificates_kwh: float = Field(description="Covered by unbundled certificates only.")
    residual_kwh: float
    residual_factor: FactorUsed
    electricity_tco2e: float
    certificates_avoided_tco2e: float = Field(
        description="Reduction claimed through certificates (not a physical reduction)."
    )


class ProductIntensity(BaseModel):
    """Emissions per tonne of one product (the whole footprint only when it is the only one)."""

    model_config = ConfigDict(frozen=True)

    product: str
    route: str
    output_t: float
    process_tco2e_per_t: float = Field(description="Process emissions of this line per t.")
    scope1_tco2e_per_t: float | None = Field(
        description="Scope 1 (combustion + process) per t; only for a single-product factory."
    )
    total_location_tco2e_per_t: float | None = Field(
        description="Scope 1 + location-based scope 2 per t; only for a single-product factory."
    )


class Footprint(BaseModel):
    """A factory's annual footprint, tCO2e/yr."""

    model_config = ConfigDict(frozen=True)

    factory_id: str
    reporting_year: int
    scope1_tco2e: float = Field(description="Combustion + process, tCO2e/yr.")
    scope1_combustion_tco2e: float
    process_tco2e: float = Field(description="Process (non-energy) emissions, tCO2e/yr.")
    process: list[ProcessEmission] = Field(
        default_factory=list, description="Process-emission lines with factor and source."
    )
    removals_tco2: float = Field(description="CO2 captured on site and stored, t/yr.")
    net_location_tco2e: float = Field(description="total_location_tco2e - removals_tco2.")
    net_market_tco2e: float = Field(description="total_market_tco2e - removals_tco2.")
    production_intensity: list[ProductIntensity] = Field(default_factory=list)
    comprehensive_energy_tce: float = Field(
        default=0.0,
        description="Comprehensive energy consumption (综合能耗), tce/yr: fuels and purchased heat "
        "by calorific value (29.3076 GJ per tce), electricity at its calorific equivalent "
        "0.1229 kgce/kWh (当量值, GB/T 2589-2020); reductant and feedstock included.",
    )
    comprehensive_energy_equivalent_tce: float = Field(
        default=0.0,
        description="The same with electricity at its equivalent value (等价值): the coal burnt "
        "to supply it, 0.3055 kgce/kWh (national average of thermal power supply, 2020, NDRC).",
    )
    notes: list[MessageText] = Field(
        default_factory=list, description="Caveats about this footprint's numbers."
    )
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    total_location_tco2e: float
    total_market_tco2e: float
    biogenic_co2_t: float = Field(description="Biogenic CO2 of biomass, outside the scopes.")
    onsite_renewable_kwh: float
    by_carrier: list[CarrierEmissions] = Field(description="Location-based, carriers in use.")
    market_based: MarketBasedScope2
    intensity_tco2e_per_million_revenue: float | None = Field(
        description="Location-based total per million of revenue_currency."
    )
    revenue_currency: str
    intensity_tco2e_per_employee: float | None
    factor_table_version: str


def _used(f: ResolvedFactor) -> FactorUsed:
    return FactorUsed(
        factor_id=f.factor_id,
        kgco2e_per_unit=f.kgco2e_per_unit,
        unit=CANONICAL_UNIT[f.carrier],
        year=f.year,
        source=f.source,
        note=f.note,
    )


def factory_factors(profile: FactoryProfile, table: FactorTable) -> dict[Carrier, ResolvedFactor]:
    """Location-based factors of every carrier for the factory's region and year."""
    return {
        c: table.resolve(c, profile.country, profile.region, profile.reporting_year)
        for c in Carrier
    }


def compute_footprint(profile: FactoryProfile, table: FactorTable | None = None) -> Footprint:
    """Scope 1, scope 2 (location- and market-based), totals and intensities of a factory.

    Parameters
    ----------
    profile
        The factory.
    table
        Emission factors; the bundled table if omitted.
    """
    table = table or FactorTable.default()
    factors = factory_factors(profile, table)
    energy = profile.energy_by_carrier()
    by_carrier: list[CarrierEmissions] = []
    for carrier in (*COMBUSTION_CARRIERS, *SCOPE2_CARRIERS):
        if energy[carrier] <= 0:
            continue
        f = factors[carrier]
        by_carrier.append(
            CarrierEmissions(
                carrier=carrier,
                scope=2 if carrier in SCOPE2_CARRIERS else 1,
                energy=energy[carrier],
                unit=CANONICAL_UNIT[carrier],
                tco2e=energy[carrier] * f.kgco2e_per_unit / 1000,
                biogenic_tco2=energy[carrier] * f.biogenic_kgco2_per_unit / 1000,
                factor=_used(f),
            )
        )
    combustion = sum(e.tco2e for e in by_carrier if e.scope == 1)
    lines = profile.route_lines()  # declared, else inferred
    process = process_emissions(lines)
    process_t = sum(p.tco2e for p in process)
    scope1 = combustion + process_t
    scope2_location = sum(e.tco2e for e in by_carrier if e.scope == 2)
    heat_tco2e = sum(e.tco2e for e in by_carrier if e.carrier == Carrier.PURCHASED_HEAT)

    grid_kwh = energy[Carrier.ELECTRICITY]
    try:
        residual = table.resolve(
            Carrier.ELECTRICITY,
            profile.country,
            profile.region,
            profile.reporting_year,
            factor_type="residual_mix",
        )
    except MissingFactorError:
        location = factors[Carrier.ELECTRICITY]
        residual = ResolvedFactor(**{**location.__dict__, "note": Message("no_residual_factor")})
    residual_kwh = max(
        grid_kwh - profile.green_electricity_contract_kwh - profile.green_certificates_kwh, 0.0
    )
    electricity_market = residual_kwh * residual.kgco2e_per_unit / 1000
    market = MarketBasedScope2(
        grid_electricity_kwh=grid_kwh,
        green_contract_kwh=profile.green_electricity_contract_kwh,
        certificates_kwh=profile.green_certificates_kwh,
        residual_kwh=residual_kwh,
        residual_factor=_used(residual),
        electricity_tco2e=electricity_market,
        certificates_avoided_tco2e=profile.green_certificates_kwh * residual.kgco2e_per_unit / 1000,
    )
    scope2_market = electricity_market + heat_tco2e
    total_location = scope1 + scope2_location
    revenue = profile.annual_revenue
    removals = profile.co2_captured_stored_t
    single = len({line.product for line in lines}) == 1
    output = sum(line.output_t for line in lines)
    intensity = [
        ProductIntensity(
            product=line.product,
            route=line.route,
            output_t=line.output_t,
            process_tco2e_per_t=_per(
                sum(p.tco2e for p in process if (p.product, p.route) == (line.product, line.route)),
                line.output_t,
            ),
            scope1_tco2e_per_t=_per(scope1, output) if single else None,
            total_location_tco2e_per_t=_per(total_location, output) if single else None,
        )
        for line in lines
    ]
    return Footprint(
        factory_id=profile.factory_id,
        reporting_year=profile.reporting_year,
        scope1_tco2e=scope1,
        scope1_combustion_tco2e=combustion,
        process_tco2e=process_t,
        process=process,
        removals_tco2=removals,
        net_location_tco2e=total_location - removals,
        net_market_tco2e=scope1 + scope2_market - removals,
        production_intensity=intensity,
        comprehensive_energy_tce=comprehensive_energy_tce(profile),
        comprehensive_energy_equivalent_tce=comprehensive_energy_tce(profile, KGCE_PER_KWH_SUPPLY),
        notes=_process_notes(process) + _inferred_notes(profile),
        scope2_location_tco2e=scope2_location,
        scope2_market_tco2e=scope2_market,
        total_location_tco2e=total_location,
        total_market_tco2e=scope1 + scope2_market,
        biogenic_co2_t=sum(e.biogenic_tco2 for e in by_carrier),
        onsite_renewable_kwh=profile.onsite_renewable_kwh,
        by_carrier=by_carrier,
        market_based=market,
        intensity_tco2e_per_million_revenue=(total_location / (revenue / 1e6) if revenue else None),
        revenue_currency=profile.revenue_currency,
        intensity_tco2e_per_employee=(
            total_location / profile.employees if profile.employees else None
        ),
        factor_table_version=table.version,
    )


#: Said in the answer when IPCC 2006 Tier 1 PFC defaults are used.
PFC_TIER1_NOTE = Message("pfc_tier1")
PROCESS_DEFAULT_NOTE = Message("process_default")


def _process_notes(process: list[ProcessEmission]) -> list[Message]:
    notes = []
    if any(p.origin == "default" for p in process):
        notes.append(PROCESS_DEFAULT_NOTE)
    if any(p.origin == "default" and p.gas in ("CF4", "C2F6") for p in process):
        notes.append(PFC_TIER1_NOTE)
    return notes


def _inferred_notes(profile: FactoryProfile) -> list[Message]:
    """Said when the process lines rest on a route inferred for a plant without production[]."""
    inferred = profile.inferred_route()
    if inferred is None:
        return []
    return [
        Message(
            "route_inferred_footprint",
            route=inferred.route_id,
            output=human(inferred.line.output_t),
        )
    ]


def comprehensive_energy_tce(profile: FactoryProfile, kgce_per_kwh: float = KGCE_PER_KWH) -> float:
    """Comprehensive energy consumption in tce/yr (GB/T 2589-2020): fuels by calorific value,
    electricity at ``kgce_per_kwh`` (its calorific equivalent, 当量值, by default; the
    equivalent value, 等价值, with :data:`features.units.KGCE_PER_KWH_SUPPLY`)."""
    total = 0.0
    for carrier, use in profile.energy_by_carrier().items():
        if carrier == Carrier.ELECTRICITY:
            total += use * kgce_per_kwh / 1000
        else:
            total += use / GJ_PER_TCE
    return total


def _per(value: float, tonnes: float) -> float:
    return value / tonnes if tonnes > 0 else 0.0


class EmissionChange(BaseModel):
    """Change of a factory's location-based emissions caused by a change of energy use."""

    model_config = ConfigDict(frozen=True)

    delta_tco2e_by_carrier: dict[Carrier, float] = Field(
        description="Positive: emissions rise on that carrier."
    )
    delta_tco2e: float = Field(description="Net change, tCO2e/yr; positive means more emissions.")
    avoided_tco2e: float = Field(description="-delta_tco2e: positive means a reduction.")
    direction: Literal["reduction", "increase", "no_change"]
    factor_table_version: str


def emission_change(
    profile: FactoryProfile,
    energy_delta: Mapping[Carrier, float],
    table: FactorTable | None = None,
    factors: Mapping[Carrier, ResolvedFactor] | None = None,
) -> EmissionChange:
    """Emissions change from changing energy use by ``energy_delta`` (canonical units per year;
    negative = less energy used).

    The factory's own location-based factors apply, so the sign comes out right: replacing gas
    heat by electric resistance heat on a coal-heavy grid *raises* emissions, and
    ``direction == "increase"`` says so.

    Examples
    --------
    >>> from features.profile import parse_profile
    >>> p = parse_profile({"factory_id": "x", "country": "CN", "region": "Hebei",
    ...                    "sector": "machinery", "reporting_year": 2022})
    >>> change = emission_change(p, {Carrier.NATURAL_GAS: -1000.0, Carrier.ELECTRICITY: 236111.0})
    >>> change.direction
    'increase'
    """
    table = table or FactorTable.default()
    factors = factors or factory_factors(profile, table)
    by_carrier = {
        carrier: delta * factors[carrier].kgco2e_per_unit / 1000
        for carrier, delta in energy_delta.items()
        if delta != 0
    }
    delta_t = sum(by_carrier.values())
    tolerance = 1e-9 * max(1.0, *(abs(v) for v in by_carrier.values())) if by_carrier else 0.0
    direction: Literal["reduction", "increase", "no_change"]
    if delta_t < -tolerance:
        direction = "reduction"
    elif delta_t > tolerance:
        direction = "increase"
    else:
        direction = "no_change"
    return EmissionChange(
        delta_tco2e_by_carrier=by_carrier,
        delta_tco2e=delta_t,
        avoided_tco2e=-delta_t,
        direction=direction,
        factor_table_version=table.version,
    )
