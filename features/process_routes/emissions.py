"""A factory's process emissions and the energy its routes use as reductant or feedstock.

Process lines come from the route table's factors (IPCC 2006 Vol. 3 defaults, each with its
table) or from measured values a profile gives, which then replace the defaults of that line.
They count in scope 1 next to combustion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from features.enduses.taxonomy import EndUse
from features.process_routes.definitions import ProductionLine, route_table
from features.units import Carrier

_MEASURED_CO2 = "measured process CO2 given in the profile (production[].process_co2_t)"
_MEASURED_PFC = "measured PFC emissions given in the profile (production[].pfc_tco2e)"


class ProcessEmission(BaseModel):
    """One process-emission line: a gas from one production line."""

    model_config = ConfigDict(frozen=True)

    product: str
    route: str
    line_id: str = Field(description="Which emission of the route, e.g. anode_co2, pfc_cf4.")
    name: str
    gas: str
    basis_t: float | None = Field(description="t of the quantity the factor multiplies.")
    basis: str = Field(description="t_product, t_clinker or t_glass_batch; measured if given.")
    factor_t_per_t: float | None = Field(description="t gas per t of the basis.")
    gwp: float
    tco2e: float
    origin: Literal["default", "measured"]
    source: str


def process_emissions(lines: Sequence[ProductionLine]) -> list[ProcessEmission]:
    """Process-emission lines of validated production lines (measured values replace the
    defaults: ``process_co2_t`` the CO2 lines, ``pfc_tco2e`` the other gases)."""
    out: list[ProcessEmission] = []
    table = route_table()
    for line in lines:
        route = table.route(line.product, line.route)
        options = line.options()
        for factor in route.process_emissions:
            measured = line.process_co2_t if factor.gas == "CO2" else line.pfc_tco2e
            if measured is not None:
                continue
            value = factor.factor(options)
            basis_t = line.basis_t(factor.per)
            out.append(
                ProcessEmission(
                    product=line.product,
                    route=line.route,
                    line_id=factor.id,
                    name=factor.name,
                    gas=factor.gas,
                    basis_t=basis_t,
                    basis=factor.per,
                    factor_t_per_t=value,
                    gwp=factor.gwp,
                    tco2e=basis_t * value * factor.gwp,
                    origin="default",
                    source=factor.source,
                )
            )
        for measured, gas, source, line_id in (
            (line.process_co2_t, "CO2", _MEASURED_CO2, "measured_co2"),
            (line.pfc_tco2e, "PFC", _MEASURED_PFC, "measured_pfc"),
        ):
            if measured is not None:
                out.append(
                    ProcessEmission(
                        product=line.product,
                        route=line.route,
                        line_id=line_id,
                        name=f"measured {gas}",
                        gas=gas,
                        basis_t=None,
                        basis="measured",
                        factor_t_per_t=None,
                        gwp=1.0,
                        tco2e=measured,
                        origin="measured",
                        source=source,
                    )
                )
    return out


def reductant_gj(lines: Sequence[ProductionLine]) -> dict[Carrier, float]:
    """GJ/yr of each carrier the lines use as reductant or feedstock (measured or default)."""
    out: dict[Carrier, float] = {}
    table = route_table()
    for line in lines:
        r = table.route(line.product, line.route).reductant
        if r is None:
            continue
        gj = line.reductant_gj if line.reductant_gj is not None else r.gj_per_t * line.output_t
        out[r.carrier] = out.get(r.carrier, 0.0) + gj
    return out


def reductant_shares(
    lines: Sequence[ProductionLine], energy_gj: dict[Carrier, float]
) -> dict[tuple[Carrier, EndUse], float]:
    """Share of each carrier that is reductant or feedstock: the lines' GJ over the carrier's
    use, at most the route's ``max_share`` (a measured ``reductant_gj`` up to all of it)."""
    out: dict[tuple[Carrier, EndUse], float] = {}
    table = route_table()
    caps: dict[Carrier, float] = {}
    for line in lines:
        r = table.route(line.product, line.route).reductant
        if r is not None:
            cap = 1.0 if line.reductant_gj is not None else r.max_share
            caps[r.carrier] = max(caps.get(r.carrier, 0.0), cap)
    for carrier, gj in reductant_gj(lines).items():
        use = energy_gj.get(carrier, 0.0)
        if use > 0 and gj > 0:
            out[(carrier, EndUse.REDUCTANT_FEEDSTOCK)] = min(gj / use, caps[carrier])
    return out
