"""Engineering estimates for sector measures that act on a production route (catalogue
``route`` blocks): energy removed, replaced or added per t, process emissions removed (a route
change brings its new route's process emissions), CO2 captured and its energy penalty, and capex.

No outcome data exist for these measures (CCUS, route changes, cell retrofits), so nothing is
learned: each number is arithmetic on the catalogue's sourced ranges and the factory's own
production and energy. The interval spans the estimate with every range at its low end and at
its high end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.carriers import CARRIERS, ELECTRICITY, GJ_PER_CANONICAL
from features.i18n import text
from features.process_routes.definitions import ProductionLine, route_table
from features.process_routes.effects import RouteEffect, SourcedRange
from features.process_routes.emissions import process_emissions

_LEVELS = ("low", "mid", "high")
#: What a route-measure estimate is, in the words a user reads.
ENGINEERING_NOTE = text("engineering_note")


def _at(r: SourcedRange, level: str) -> float:
    return r.low if level == "low" else r.high if level == "high" else r.mid


@dataclass(frozen=True)
class RouteEstimate:
    """One (factory, route measure) estimate; arrays per level (low, mid, high)."""

    saved: np.ndarray  # (3, carriers) canonical units per year, + = less used
    process_tco2e: np.ndarray  # (3,) process emissions removed, net of the new route's
    captured_tco2: np.ndarray  # (3,) CO2 captured
    covered_t: float  # t/yr of output covered (mid)
    fraction: float  # of the targeted end-use energy removed (mid)
    capex_usd: float  # mid


def matching_lines(effect: RouteEffect, lines: tuple[ProductionLine, ...]) -> list[ProductionLine]:
    """The factory's lines the measure acts on."""
    return [line for line in lines if f"{line.product}/{line.route}" in effect.applies_to]


def estimate(
    effect: RouteEffect,
    lines: tuple[ProductionLine, ...],
    targeted_gj: np.ndarray,
    energy_gj: np.ndarray,
    kg_per_unit: np.ndarray,
) -> RouteEstimate:
    """The measure's effect at one factory.

    Parameters
    ----------
    effect
        The measure's route block.
    lines
        The factory's validated production lines.
    targeted_gj
        (carriers,) energy of the measure's end uses on the carriers it reduces, GJ/yr.
    energy_gj
        (carriers,) the factory's energy use, GJ/yr (no carrier saves more than this).
    kg_per_unit
        (carriers,) kg CO2e per canonical unit at the factory.
    """
    match = matching_lines(effect, lines)
    output = sum(line.output_t for line in match)
    process = process_emissions(match)
    gases = set(effect.process_gases)
    process_t = sum(p.tco2e for p in process if p.gas in gases or _measured_gas(p.gas, gases))
    process_co2 = sum(p.tco2e for p in process if p.gas == "CO2")
    new_route_t_per_t = _route_process_per_t(effect, match)
    kg_per_gj = kg_per_unit / GJ_PER_CANONICAL
    saved = np.zeros((3, len(CARRIERS)))
    removed_process = np.zeros(3)
    captured = np.zeros(3)
    removed_mid = 0.0
    for k, level in enumerate(_LEVELS):
        share = _at(effect.share, level)
        gj = np.zeros(len(CARRIERS))
        if effect.energy_fraction is not None:
            removed = share * _at(effect.energy_fraction, level) * targeted_gj
            gj += removed
            if level == "mid":
                removed_mid = float(removed.sum())
            if effect.replace_with is not None and effect.replace_ratio is not None:
                added = removed.sum() * _at(effect.replace_ratio, level)
                gj[CARRIERS.index(effect.replace_with)] -= added
        for carrier, per_t in effect.energy_per_t.items():
            c = CARRIERS.index(carrier)
            gj[c] -= _at(per_t, level) * share * output * GJ_PER_CANONICAL[c]
        if effect.capture is not None:
            cap = effect.capture
            if cap.stream == "pure_co2":
                stream = sum(
                    float(route_table().route(line.product, line.route).pure_co2_t_per_t or 0.0)
                    * line.output_t
                    for line in match
                )
            else:
                fuel = np.where(GJ_PER_CANONICAL == 1.0, targeted_gj * kg_per_gj / 1000, 0.0)
                stream = process_co2 + float(fuel.sum())
            captured[k] = share * _at(cap.rate, level) * stream
            gj[CARRIERS.index(cap.heat_carrier)] -= _at(cap.heat_gj_per_tco2, level) * captured[k]
            gj[ELECTRICITY] -= (
                _at(cap.electricity_kwh_per_tco2, level)
                * captured[k]
                * GJ_PER_CANONICAL[ELECTRICITY]
            )
        gj = np.minimum(gj, energy_gj)
        saved[k] = gj / GJ_PER_CANONICAL
        if effect.process_fraction is not None:
            removed_process[k] = share * _at(effect.process_fraction, level) * process_t
        removed_process[k] -= share * output * new_route_t_per_t
    share_mid = effect.share.mid
    if effect.capex_per == "tco2_captured":
        capex = effect.capex.mid * float(captured[1])
    else:
        capex = effect.capex.mid * share_mid * output
    total = float(targeted_gj.sum())
    return RouteEstimate(
        saved=saved,
        process_tco2e=removed_process,
        captured_tco2=captured,
        covered_t=share_mid * output,
        fraction=removed_mid / total if total > 0 else 0.0,
        capex_usd=capex,
    )


def _measured_gas(gas: str, gases: set[str]) -> bool:
    """Measured PFC lines (gas "PFC") count where the measure acts on CF4 or C2F6."""
    return gas == "PFC" and bool(gases & {"CF4", "C2F6"})


def _route_process_per_t(effect: RouteEffect, match: list[ProductionLine]) -> float:
    """tCO2e per t of covered output that the route the measure moves to emits."""
    if effect.to_route is None or not match:
        return 0.0
    product, _, route = effect.to_route.partition("/")
    probe = ProductionLine(product=product, route=route, output_t=1.0).validated("to_route")
    return sum(p.tco2e for p in process_emissions([probe]))
