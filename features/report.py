"""The footprint and applicable-measures report of one factory (text for the terminal)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from features.accounting.factors import FactorTable
from features.accounting.footprint import Footprint, compute_footprint
from features.catalogue.applicability import Applicability, applicability
from features.catalogue.measures import Catalogue, Family
from features.enduses.balance import EndUseEnergy, end_use_balance
from features.profile import FactoryProfile, parse_profile


class FactoryReport(BaseModel):
    """Footprint plus the catalogue's verdict on every measure."""

    model_config = ConfigDict(frozen=True)

    profile: FactoryProfile
    footprint: Footprint
    end_use_balance: list[EndUseEnergy]
    measures: list[Applicability]
    catalogue_version: str


def example_profile_data() -> dict[str, Any]:
    """The bundled example factory as raw JSON data. ``Any``: JSON values."""
    text = resources.files("features").joinpath("data/example_factory.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_profile(path: str | Path | None) -> FactoryProfile:
    """Read and validate a profile JSON file; the bundled example if ``path`` is None."""
    data = example_profile_data() if path is None else json.loads(Path(path).read_text("utf-8"))
    return parse_profile(data)


def build_report(
    profile: FactoryProfile,
    table: FactorTable | None = None,
    catalogue: Catalogue | None = None,
) -> FactoryReport:
    """Compute the footprint and check every catalogue measure against the factory."""
    catalogue = catalogue or Catalogue.default()
    return FactoryReport(
        profile=profile,
        footprint=compute_footprint(profile, table),
        end_use_balance=end_use_balance(profile),
        measures=[applicability(profile, m) for m in catalogue.measures.values()],
        catalogue_version=catalogue.version,
    )


def print_report(report: FactoryReport, console: Console, catalogue: Catalogue) -> None:
    """Render a report as tables."""
    p, fp = report.profile, report.footprint
    console.print(
        f"[bold]{p.factory_id}[/bold]  {p.sector.value}, {p.region} ({p.country.value}), "
        f"reporting year {p.reporting_year}"
    )
    scopes = Table(title="Footprint, tCO2e/yr")
    scopes.add_column("")
    scopes.add_column("location-based", justify="right")
    scopes.add_column("market-based", justify="right")
    c1 = f"{fp.scope1_combustion_tco2e:,.1f}"
    scopes.add_row("Scope 1 combustion", c1, c1)
    scopes.add_row("Scope 1 process", f"{fp.process_tco2e:,.1f}", f"{fp.process_tco2e:,.1f}")
    scopes.add_row("Scope 2", f"{fp.scope2_location_tco2e:,.1f}", f"{fp.scope2_market_tco2e:,.1f}")
    scopes.add_row(
        "[bold]Total[/bold]", f"{fp.total_location_tco2e:,.1f}", f"{fp.total_market_tco2e:,.1f}"
    )
    removals = f"{-fp.removals_tco2:,.1f}" if fp.removals_tco2 else "0.0"
    scopes.add_row("Removals (CO2 stored)", removals, removals)
    scopes.add_row(
        "[bold]Net[/bold]", f"{fp.net_location_tco2e:,.1f}", f"{fp.net_market_tco2e:,.1f}"
    )
    console.print(scopes)
    if fp.process:
        process = Table(title="Process emissions (scope 1)")
        for col in ("product/route", "line", "gas", "basis t", "t gas/t", "tCO2e/yr", "source"):
            process.add_column(col, justify="right" if col[0] in "bt" else "left")
        for line in fp.process:
            process.add_row(
                f"{line.product}/{line.route}", line.name, line.gas,
                "-" if line.basis_t is None else f"{line.basis_t:,.0f} {line.basis}",
                "-" if line.factor_t_per_t is None else f"{line.factor_t_per_t:.5g}",
                f"{line.tco2e:,.1f}", line.source,
            )  # fmt: skip
        console.print(process)
    for pi in fp.production_intensity:
        per_t = (
            ""
            if pi.total_location_tco2e_per_t is None
            else f", all scopes {pi.total_location_tco2e_per_t:.3f} tCO2e/t"
        )
        console.print(
            f"{pi.product} ({pi.route}): {pi.output_t:,.0f} t/yr, process "
            f"{pi.process_tco2e_per_t:.3f} tCO2e/t{per_t}"
        )

    carriers = Table(title="By carrier (location-based)")
    for col in ("carrier", "scope", "use/yr", "unit", "tCO2e/yr", "factor (kg/unit)", "factor"):
        carriers.add_column(
            col, justify="left" if col in ("carrier", "unit", "factor") else "right"
        )
    for e in fp.by_carrier:
        factor_text = e.factor.factor_id + (f" ({e.factor.note})" if e.factor.note else "")
        carriers.add_row(
            e.carrier.value, str(e.scope), f"{e.energy:,.0f}", e.unit, f"{e.tco2e:,.1f}",
            f"{e.factor.kgco2e_per_unit:.4g}", factor_text,
        )  # fmt: skip
    console.print(carriers)

    mb = fp.market_based
    console.print(
        f"Market-based electricity: {mb.grid_electricity_kwh:,.0f} kWh bought, "
        f"{mb.green_contract_kwh:,.0f} kWh green contracts, {mb.certificates_kwh:,.0f} kWh "
        f"certificates (claim {mb.certificates_avoided_tco2e:,.1f} tCO2e, not a physical "
        f"reduction), {mb.residual_kwh:,.0f} kWh at {mb.residual_factor.kgco2e_per_unit:.4f} "
        f"kg/kWh ({mb.residual_factor.factor_id}"
        + (f"; {mb.residual_factor.note}" if mb.residual_factor.note else "")
        + ")."
    )
    if fp.biogenic_co2_t:
        console.print(f"Biogenic CO2 outside the scopes: {fp.biogenic_co2_t:,.1f} t")
    if fp.intensity_tco2e_per_million_revenue is not None:
        console.print(
            f"Intensity: {fp.intensity_tco2e_per_million_revenue:,.2f} tCO2e per million "
            f"{fp.revenue_currency}"
        )
    if fp.intensity_tco2e_per_employee is not None:
        console.print(f"Intensity: {fp.intensity_tco2e_per_employee:,.2f} tCO2e per employee")
    console.print(
        f"Comprehensive energy consumption: {fp.comprehensive_energy_tce:,.1f} tce/yr "
        "(GB/T 2589-2020: electricity 0.1229 kgce/kWh, fuels 29.3076 GJ/tce)"
    )
    console.print(f"Emission factors: table {fp.factor_table_version}")

    balance = Table(title="End-use balance")
    for col in ("carrier", "end use", "use/yr", "unit", "share", "source"):
        balance.add_column(col, justify="right" if col in ("use/yr", "share") else "left")
    for cell in report.end_use_balance:
        balance.add_row(
            cell.carrier.value,
            cell.end_use.value,
            f"{cell.energy:,.0f}",
            cell.unit,
            f"{cell.share:.1%}",
            cell.source,
        )
    console.print(balance)

    verdicts = {a.measure_id: a for a in report.measures}
    measures = Table(title=f"Applicable measures (catalogue {report.catalogue_version})")
    measures.add_column("family")
    measures.add_column("id")
    measures.add_column("measure")
    measures.add_column("carriers changed here")
    for family in Family:
        for m in catalogue.by_family(family):
            if verdicts[m.id].applicable:
                kind = "" if m.reduction_kind == "physical" else f" [{m.reduction_kind}]"
                # Only the carriers this factory uses (or would start using) are shown.
                changes = [f"-{c.value}" for c in m.carriers_reduced if p.energy(c) > 0] + [
                    f"+{c.value}" for c in m.carriers_increased
                ]
                measures.add_row(family.value, m.id, m.name + kind, " ".join(changes))
    console.print(measures)
    skipped = [a for a in report.measures if not a.applicable]
    if skipped:
        console.print(f"Not applicable ({len(skipped)}):")
        for a in skipped:
            console.print(f"  {a.measure_id}: {a.reason}")
