"""``decarb-report``: a factory's footprint and the measures that apply to it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.accounting.factors import FactorTable, load_eia_state_intensity
from features.catalogue.measures import Catalogue
from features.errors import DecarbError, InvalidValueError
from features.i18n import LANGS
from features.report import build_report, load_profile, print_report

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def report(
    profile: Annotated[
        Path | None,
        typer.Argument(help="Factory profile JSON; the bundled example factory if omitted."),
    ] = None,
    eia_state_factors: Annotated[
        Path | None,
        typer.Option(
            help="EIA state-by-year grid intensity CSV, so US factories use the factor of their "
            "state and reporting year."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of tables.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Language of the tables: en or zh (中文).")] = "en",
) -> None:
    """Print the footprint (by scope and carrier) and the applicable measures of a factory."""
    console = Console(width=140)
    try:
        if lang not in LANGS:
            raise InvalidValueError("lang", lang, list(LANGS))
        factory = load_profile(profile)
        table = FactorTable.default()
        if eia_state_factors is not None:
            table = table.extended(load_eia_state_intensity(eia_state_factors))
        catalogue = Catalogue.default()
        result = build_report(factory, table, catalogue)
    except DecarbError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        print_report(result, console, catalogue, "zh" if lang == "zh" else "en")
