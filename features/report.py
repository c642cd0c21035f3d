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
from features.catalogue.measures import Catalogue, Family, measure_name
from features.enduses.balance import EndUseEnergy, end_use_balance
from features.i18n import Lang, human, text, word
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


def print_report(
    report: FactoryReport, console: Console, catalogue: Catalogue, lang: Lang = "en"
) -> None:
    """Render a report as tables, in ``lang``, numbers to three significant figures."""
    p, fp, h = report.profile, report.footprint, human

    def say(key: str, **values: object) -> str:
        return text(key, lang, **values)

    def columns(key: str) -> list[str]:
        return say(key).split("|")

    console.print(
        say(
            "rpt_header",
            factory=f"[bold]{p.factory_id}[/bold]",
            sector=word(p.sector.value, lang),
            region=p.region,
            country=p.country.value,
            year=p.reporting_year,
        )
    )
    scopes = Table(title=say("rpt_footprint"))
    scopes.add_column("")
    scopes.add_column(say("rpt_location"), justify="right")
    scopes.add_column(say("rpt_market"), justify="right")
    scopes.add_row(
        say("rpt_scope1_combustion"), h(fp.scope1_combustion_tco2e), h(fp.scope1_combustion_tco2e)
    )
    scopes.add_row(say("rpt_scope1_process"), h(fp.process_tco2e), h(fp.process_tco2e))
    scopes.add_row(say("rpt_scope2"), h(fp.scope2_location_tco2e), h(fp.scope2_market_tco2e))
    scopes.add_row(
        f"[bold]{say('rpt_total')}[/bold]", h(fp.total_location_tco2e), h(fp.total_market_tco2e)
    )
    removals = h(-fp.removals_tco2)
    scopes.add_row(say("rpt_removals"), removals, removals)
    scopes.add_row(
        f"[bold]{say('rpt_net')}[/bold]", h(fp.net_location_tco2e), h(fp.net_market_tco2e)
    )
    console.print(scopes)
    if fp.process:
        process = Table(title=say("rpt_process"))
        for j, col in enumerate(columns("rpt_process_columns")):
            process.add_column(col, justify="right" if j in (3, 4, 5) else "left")
        for line in fp.process:
            process.add_row(
                f"{word(line.product, lang)}/{line.route}",
                line.name,
                line.gas,
                "-" if line.basis_t is None else f"{h(line.basis_t)} {line.basis}",
                h(line.factor_t_per_t, 4),
                h(line.tco2e),
                line.source,
            )
        console.print(process)
    for pi in fp.production_intensity:
        per_t = (
            ""
            if pi.total_location_tco2e_per_t is None
            else say("rpt_all_scopes", value=h(pi.total_location_tco2e_per_t))
        )
        console.print(
            say(
                "rpt_intensity_line",
                product=word(pi.product, lang),
                route=pi.route,
                output=h(pi.output_t),
                process=h(pi.process_tco2e_per_t),
                all=per_t,
            )
        )

    carriers = Table(title=say("rpt_by_carrier"))
    for j, col in enumerate(columns("rpt_carrier_columns")):
        carriers.add_column(col, justify="left" if j in (0, 3, 6) else "right")
    for e in fp.by_carrier:
        note = e.factor.note.in_lang(lang)
        factor_text = e.factor.factor_id + (f" ({note})" if note else "")
        carriers.add_row(
            word(e.carrier.value, lang),
            str(e.scope),
            h(e.energy),
            e.unit,
            h(e.tco2e),
            h(e.factor.kgco2e_per_unit, 4),
            factor_text,
        )
    console.print(carriers)

    mb = fp.market_based
    residual_note = mb.residual_factor.note.in_lang(lang)
    console.print(
        say(
            "rpt_market_line",
            bought=h(mb.grid_electricity_kwh),
            green=h(mb.green_contract_kwh),
            certs=h(mb.certificates_kwh),
            claim=h(mb.certificates_avoided_tco2e),
            residual=h(mb.residual_kwh),
            factor=h(mb.residual_factor.kgco2e_per_unit, 4),
            factor_id=mb.residual_factor.factor_id
            + (f"; {residual_note}" if residual_note else ""),
        )
        + ("。" if lang == "zh" else ".")
    )
    if fp.biogenic_co2_t:
        console.print(say("rpt_biogenic", t=h(fp.biogenic_co2_t)))
    if fp.intensity_tco2e_per_million_revenue is not None:
        console.print(
            say(
                "rpt_intensity_revenue",
                value=h(fp.intensity_tco2e_per_million_revenue),
                currency=fp.revenue_currency,
            )
        )
    if fp.intensity_tco2e_per_employee is not None:
        console.print(say("rpt_intensity_employee", value=h(fp.intensity_tco2e_per_employee)))
    console.print(
        say(
            "rpt_tce",
            tce=h(fp.comprehensive_energy_tce),
            equivalent=h(fp.comprehensive_energy_equivalent_tce),
        )
    )
    for note in fp.notes:
        console.print(f"- {note.in_lang(lang)}")
    console.print(say("rpt_factors", version=fp.factor_table_version))

    balance = Table(title=say("rpt_balance"))
    for j, col in enumerate(columns("rpt_balance_columns")):
        balance.add_column(col, justify="right" if j in (2, 4) else "left")
    for cell in report.end_use_balance:
        balance.add_row(
            word(cell.carrier.value, lang),
            word(cell.end_use.value, lang),
            h(cell.energy),
            cell.unit,
            f"{cell.share:.1%}",
            cell.source,
        )
    console.print(balance)

    verdicts = {a.measure_id: a for a in report.measures}
    measures = Table(title=say("rpt_measures", version=report.catalogue_version))
    for col in columns("rpt_measure_columns"):
        measures.add_column(col)
    for family in Family:
        for m in catalogue.by_family(family):
            if verdicts[m.id].applicable:
                kind = "" if m.reduction_kind == "physical" else f" [{m.reduction_kind}]"
                # Only the carriers this factory uses (or would start using) are shown.
                changes = [f"-{word(c.value, lang)}" for c in m.carriers_reduced
                           if p.energy(c) > 0]  # fmt: skip
                changes += [f"+{word(c.value, lang)}" for c in m.carriers_increased]
                measures.add_row(
                    word(family.value, lang), m.id, measure_name(m, lang) + kind, " ".join(changes)
                )
    console.print(measures)
    skipped = [a for a in report.measures if not a.applicable]
    if skipped:
        console.print(say("rpt_not_applicable", n=len(skipped)))
        for a in skipped:
            console.print(f"  {a.measure_id}: {a.reason.in_lang(lang)}")
