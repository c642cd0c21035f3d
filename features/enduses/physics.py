"""Physics of measures that convert energy from one carrier to another, and the caps that keep a
measure within what the factory has.

A conversion measure displaces part of the energy of the end uses it targets (learned by the
savings model as a fraction); what it adds on another carrier follows from efficiencies with a
named source, not from a learned ratio:

- ``chp``: boiler fuel displaced -> heat delivered -> CHP fuel = heat / thermal efficiency,
  electricity generated = CHP fuel x electrical efficiency (displaces grid electricity, capped
  at the site's electricity use: no export).
- ``heat_pump``: heat delivered / COP of electricity, COP from the temperature lift.
- ``electric_heating``: heat delivered / efficiency of electric heating.
- ``fuel_switch``: heat delivered / boiler efficiency of natural gas.
- ``biomass``: heat delivered / boiler efficiency of biomass.
- ``fuel_engine``: electricity displaced / engine efficiency of natural gas.
- ``pv``, ``fuel_cell``, ``solar_thermal``, ``wind_hydro``: nothing added; the fraction is capped
  by the roof and the site's solar yield, the hydrogen available or the wind/water resource the
  profile declares.

Every number has its source beside it; ``docs/engineering-basis.md`` lists them all.
"""

from __future__ import annotations

import numpy as np

from features.carriers import CARRIERS
from features.enduses.taxonomy import EndUse
from features.regions import CHINA_PROVINCES, ChinaGrid
from features.table import Table, floats, floats0, texts
from features.units import GJ_PER_KWH, Carrier

END_USES = list(EndUse)
_C = {c: i for i, c in enumerate(CARRIERS)}
_U = {u: i for i, u in enumerate(END_USES)}

# --- combustion and conversion efficiencies (LHV basis, heat delivered per fuel) --------------
#: Heat delivered per unit of fuel (LHV) by an industrial boiler. Natural gas, oil and LPG 0.85,
#: coal 0.75, biomass 0.75, other fuels 0.80. ASSUMPTION: typical engineering values; the only
#: checked anchor is China's 2014 multi-agency plan for coal-fired industrial boilers (raise
#: average efficiency by about 6 points from a fleet well below new-boiler levels). Purchased
#: heat is delivered as heat (1.0).
BOILER_EFFICIENCY: dict[Carrier, float] = {
    Carrier.NATURAL_GAS: 0.85,
    Carrier.COAL: 0.75,
    Carrier.DIESEL: 0.85,
    Carrier.FUEL_OIL: 0.85,
    Carrier.LPG: 0.85,
    Carrier.BIOMASS: 0.75,
    Carrier.OTHER_FUEL: 0.80,
    Carrier.PURCHASED_HEAT: 1.0,
    Carrier.ELECTRICITY: 0.99,
}
#: Fuel-fired process heating (furnaces, ovens, kilns): heat into the product per unit of fuel.
#: 0.50: ASSUMPTION, the middle of the 15-80% range usually quoted for fuel-fired systems from
#: US DOE's process-heating sourcebook (not re-read here).
PROCESS_HEATING_EFFICIENCY = 0.50
#: Electric resistance and induction heating: 0.90 of the electricity reaches the product.
#: ASSUMPTION for a mix of resistance heaters (near 100%) and induction (lower).
ELECTRIC_HEATING_EFFICIENCY = 0.90
#: Gas-engine CHP, LHV basis: electrical 0.38, thermal 0.45 (total 0.83). NREL REopt.jl CHP
#: defaults (built from US DOE CHP technology fact sheets): reciprocating engines 29-41%
#: electrical and about 80% total on the HHV basis, i.e. about 32-46% and 89% LHV (natural gas
#: LHV/HHV 0.90); 0.38 electrical is the middle, the thermal share kept below the total.
CHP_ELECTRICAL_EFFICIENCY = 0.38
CHP_THERMAL_EFFICIENCY = 0.45
#: Gas engine generating in place of grid electricity: 0.35 (ASSUMPTION: small engines without
#: heat recovery, inside the 29-41% HHV range above).
ENGINE_ELECTRICAL_EFFICIENCY = 0.35
#: Heat-pump COP = CARNOT_FRACTION x T_sink / (T_sink - T_source) (kelvin), capped at COP_MAX.
#: Real industrial heat pumps reach 40-60% of the Carnot COP (Arpagaus et al., High temperature
#: heat pumps: market overview, state of the art, research status, refrigerants, and application
#: potentials, Energy 152 (2018) 985-1010); 0.45 is used. Source 30 deg C (waste heat or ambient
#: air in the production season; ASSUMPTION), sink as the profile says (120 deg C, low-pressure
#: steam, if not given) and 55 deg C for space heating.
CARNOT_FRACTION = 0.45
HEAT_PUMP_SOURCE_C = 30.0
DEFAULT_STEAM_SINK_C = 120.0
SPACE_HEATING_SINK_C = 55.0
COP_MAX = 6.0  # Arpagaus et al. (2018): best market COPs 5.7-6.5 at a 30 K lift
#: Commercial industrial heat pumps supply up to about 150-160 deg C (Arpagaus et al. 2018):
#: above that a heat pump is not a candidate for the steam system.
HEAT_PUMP_MAX_SINK_C = 160.0
#: Hydrogen LHV 10.79 MJ/Nm3 (NIST / DOE Hydrogen Program: 120 MJ/kg, 0.0899 kg/Nm3); PEM fuel-cell
#: electrical efficiency 0.50 LHV (ASSUMPTION; NREL REopt.jl lists fuel-cell CHP at 39-41%
#: electrical on HHV, about 46-48% LHV).
HYDROGEN_GJ_PER_NM3 = 0.01079
FUEL_CELL_EFFICIENCY = 0.50
#: Rooftop PV: 0.10 kWp per m2 of available roof (modules of about 0.2 kWp/m2 covering about
#: half the roof after spacing, access and shading; ASSUMPTION in line with the usual Chinese
#: planning figure of about 100 W per m2 of roof for C&I rooftop systems), and at most 100% of
#: the site's electricity (no export assumed).
PV_KWP_PER_M2 = 0.10
#: Specific PV yield, kWh per kWp per year, by grid region. ASSUMPTION: rounded regional values
#: consistent with NEA utilisation hours (national about 1,130 full-load hours in 2015) and
#: provincial capacity factors of 0.16-0.19 used in GCAM-China; lowest in Sichuan-Chongqing,
#: highest on the Tibetan plateau and in the north-west. US: 1,400 (ASSUMPTION, mid-latitude).
PV_YIELD_BY_GRID: dict[ChinaGrid, float] = {
    ChinaGrid.NORTHWEST: 1500.0,
    ChinaGrid.NORTH: 1350.0,
    ChinaGrid.NORTHEAST: 1300.0,
    ChinaGrid.EAST: 1100.0,
    ChinaGrid.CENTRAL: 1050.0,
    ChinaGrid.SOUTH: 1150.0,
    ChinaGrid.SOUTHWEST: 950.0,
}
PV_YIELD_US = 1400.0
#: Tibet's plateau irradiation is far above the rest of the Southwest grid (ASSUMPTION: 1,600).
PV_YIELD_TIBET = 1600.0
#: Solar thermal: 0.5 of the available roof as collectors, useful heat = 0.5 x irradiation
#: (ASSUMPTION for flat-plate and evacuated-tube collectors at 60-90 deg C); irradiation kWh/m2
#: taken as PV yield / PV_PERFORMANCE_RATIO. The heat displaces boiler fuel at the gas boiler's
#: efficiency.
SOLAR_THERMAL_ROOF_SHARE = 0.5
SOLAR_THERMAL_EFFICIENCY = 0.5
#: PV performance ratio (AC yield over plane irradiation): 0.8, ASSUMPTION (typical of modern
#: systems).
PV_PERFORMANCE_RATIO = 0.8


def pv_yield_kwh_per_kwp(country: str, region: str) -> float:
    """Specific PV yield of a site, kWh/kWp/yr (see :data:`PV_YIELD_BY_GRID`)."""
    if country != "CN":
        return PV_YIELD_US
    if region == "Tibet":
        return PV_YIELD_TIBET
    info = CHINA_PROVINCES.get(region)
    return PV_YIELD_BY_GRID[info[1]] if info else PV_YIELD_US


def heat_pump_cop(sink_c: np.ndarray | float, source_c: float = HEAT_PUMP_SOURCE_C) -> np.ndarray:
    """COP of a heat pump lifting heat from ``source_c`` to ``sink_c`` (deg C); NaN above the
    supply limit of commercial machines."""
    sink = np.asarray(sink_c, dtype=float)
    lift = np.maximum(sink - source_c, 5.0)
    cop = np.minimum(CARNOT_FRACTION * (sink + 273.15) / lift, COP_MAX)
    result: np.ndarray = np.where(sink <= HEAT_PUMP_MAX_SINK_C, np.maximum(cop, 1.0), np.nan)
    return result


#: BOILER_EFFICIENCY in carrier order.
_BOILER_EFF = np.array([BOILER_EFFICIENCY[c] for c in CARRIERS])
#: Conversions that add energy (conversion_added acts only on these).
_ADDING = frozenset(("chp", "heat_pump", "electric_heating", "fuel_switch", "biomass",
                     "fuel_engine"))  # fmt: skip
#: Conversions whose displaced fraction the site's physics caps (fraction_caps).
_CAPPED = frozenset(("pv", "solar_thermal", "wind_hydro", "fuel_cell", "chp", "heat_pump"))


def _masks(kinds: list[str | None], wanted: frozenset[str]) -> dict[str, np.ndarray]:
    """Row mask of each conversion in ``wanted`` that occurs in ``kinds`` (no masks for the
    others: most rows convert nothing, and a batch few of the kinds)."""
    present = wanted.intersection(kinds)
    if not present:
        return {}
    kind = np.array([k or "" for k in kinds])
    return {name: kind == name for name in present}


def _heat_delivered(displaced: np.ndarray, by_use: np.ndarray) -> np.ndarray:
    """Heat (GJ) the displaced energy had delivered: boiler efficiency for steam and HVAC,
    process-heating efficiency for direct process heat (weighted by the rows' end-use mix)."""
    total_u = by_use.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        process = np.where(total_u > 0, by_use[:, _U[EndUse.PROCESS_HEATING]] / total_u, 0.0)
    boiler = (displaced * _BOILER_EFF).sum(axis=1)
    fuel = displaced.sum(axis=1)
    result: np.ndarray = boiler * (1 - process) + fuel * PROCESS_HEATING_EFFICIENCY * process
    return result


def conversion_added(
    kinds: list[str | None],
    displaced: np.ndarray,
    by_use: np.ndarray,
    factories: Table,
    factory_index: np.ndarray,
) -> np.ndarray:
    """Energy (GJ, per carrier) that conversion measures add, and for CHP the grid electricity
    it displaces (as a negative addition).

    Parameters
    ----------
    kinds
        Conversion of each row's measure (None for measures that only save).
    displaced
        (rows, carriers) GJ of targeted energy the measure displaces.
    by_use
        (rows, end uses) GJ of the targeted energy per end use (for the heat mix).
    factories, factory_index
        The factories table and each row's factory.
    """
    rows = len(kinds)
    added = np.zeros((rows, len(CARRIERS)))
    masks = _masks(kinds, _ADDING)
    if not masks:
        return added
    heat = _heat_delivered(displaced, by_use)
    elec, gas, biomass = _C[Carrier.ELECTRICITY], _C[Carrier.NATURAL_GAS], _C[Carrier.BIOMASS]
    grid_gj = floats0(factories, "electricity_kwh")[factory_index] * GJ_PER_KWH

    chp = masks.get("chp")
    if chp is not None:
        fuel = heat[chp] / CHP_THERMAL_EFFICIENCY
        generated = np.minimum(fuel * CHP_ELECTRICAL_EFFICIENCY, grid_gj[chp])
        added[chp, gas] += fuel
        added[chp, elec] -= generated
    hp = masks.get("heat_pump")
    if hp is not None:
        sink = floats(factories, "heat_sink_temperature_c")[factory_index[hp]]
        sink = np.where(np.isnan(sink), DEFAULT_STEAM_SINK_C, sink)
        u = by_use[hp]
        total = np.maximum(u.sum(axis=1), 1e-12)
        hvac = u[:, _U[EndUse.FACILITY_HVAC]] / total
        cop_steam = heat_pump_cop(sink)
        cop_hvac = heat_pump_cop(np.full(hp.sum(), SPACE_HEATING_SINK_C))
        # Above the heat pump's supply limit only the HVAC part can be served.
        steam_part = np.where(
            np.isnan(cop_steam), 0.0, (1 - hvac) / np.where(np.isnan(cop_steam), 1.0, cop_steam)
        )
        added[hp, elec] += heat[hp] * (steam_part + hvac / cop_hvac)
    electric = masks.get("electric_heating")
    if electric is not None:
        added[electric, elec] += heat[electric] / ELECTRIC_HEATING_EFFICIENCY
    switch = masks.get("fuel_switch")
    if switch is not None:
        added[switch, gas] += heat[switch] / BOILER_EFFICIENCY[Carrier.NATURAL_GAS]
    bio = masks.get("biomass")
    if bio is not None:
        added[bio, biomass] += heat[bio] / BOILER_EFFICIENCY[Carrier.BIOMASS]
    engine = masks.get("fuel_engine")
    if engine is not None:
        added[engine, gas] += displaced[engine, elec] / ENGINE_ELECTRICAL_EFFICIENCY
    return added


def fraction_caps(
    kinds: list[str | None],
    targeted_gj: np.ndarray,
    by_use: np.ndarray,
    factories: Table,
    factory_index: np.ndarray,
) -> np.ndarray:
    """Largest fraction of the targeted energy each row's measure can physically displace.

    PV: roof area x kWp/m2 x the site's yield; fuel cells: the hydrogen available; wind/hydro: the
    declared resource (``onsite_wind_hydro_kwh_potential``); solar thermal:
    the collector area's heat; CHP: no more electricity than the site uses; heat pumps: only
    heat the machines can supply (none above their temperature limit except space heating).
    Other measures: 1 (never more than the end use holds).
    """
    rows = len(kinds)
    caps = np.ones(rows)
    masks = _masks(kinds, _CAPPED)
    if not masks:
        return caps
    total = targeted_gj.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in ("pv", "solar_thermal"):
            rows_k = masks.get(name)
            if rows_k is None:
                continue
            idx = factory_index[rows_k]
            roof = floats0(factories, "roof_area_available_m2")[idx]
            countries = texts(factories, "country")
            regions = texts(factories, "region")
            yields = np.array([pv_yield_kwh_per_kwp(countries[i], regions[i]) for i in idx])
            if name == "pv":
                potential = roof * PV_KWP_PER_M2 * yields * GJ_PER_KWH
            else:
                irradiation_gj_per_m2 = yields / PV_PERFORMANCE_RATIO * GJ_PER_KWH
                heat = roof * SOLAR_THERMAL_ROOF_SHARE * irradiation_gj_per_m2
                boiler = BOILER_EFFICIENCY[Carrier.NATURAL_GAS]
                potential = heat * SOLAR_THERMAL_EFFICIENCY / boiler  # fuel it displaces
            caps[rows_k] = np.where(total[rows_k] > 0, potential / total[rows_k], 0.0)
        wind = masks.get("wind_hydro")
        if wind is not None:
            if "onsite_wind_hydro_kwh_potential" in factories:
                kwh = floats0(factories, "onsite_wind_hydro_kwh_potential")[factory_index[wind]]
            else:
                kwh = np.zeros(int(wind.sum()))
            caps[wind] = np.where(total[wind] > 0, kwh * GJ_PER_KWH / total[wind], 0.0)
        cell = masks.get("fuel_cell")
        if cell is not None:
            h2 = floats0(factories, "byproduct_hydrogen_nm3")[factory_index[cell]]
            potential = h2 * HYDROGEN_GJ_PER_NM3 * FUEL_CELL_EFFICIENCY
            caps[cell] = np.where(total[cell] > 0, potential / total[cell], 0.0)
        chp = masks.get("chp")
        if chp is not None:
            grid_gj = floats0(factories, "electricity_kwh")[factory_index[chp]] * GJ_PER_KWH
            displaced_all = targeted_gj[chp]
            heat_all = _heat_delivered(displaced_all, by_use[chp])
            generated_all = heat_all / CHP_THERMAL_EFFICIENCY * CHP_ELECTRICAL_EFFICIENCY
            caps[chp] = np.where(generated_all > 0, np.minimum(grid_gj / generated_all, 1.0), 0)
        hp = masks.get("heat_pump")
        if hp is not None:
            sink = floats(factories, "heat_sink_temperature_c")[factory_index[hp]]
            sink = np.where(np.isnan(sink), DEFAULT_STEAM_SINK_C, sink)
            u = by_use[hp]
            hvac_share = np.where(
                u.sum(axis=1) > 0, u[:, _U[EndUse.FACILITY_HVAC]] / u.sum(axis=1), 0.0
            )
            caps[hp] = np.where(sink <= HEAT_PUMP_MAX_SINK_C, 1.0, hvac_share)
    result: np.ndarray = np.clip(np.nan_to_num(caps, nan=0.0), 0.0, 1.0)
    return result
