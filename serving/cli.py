"""``decarb-serve`` (the HTTP service) and ``decarb-recommend`` (the same scoring in a terminal)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import mlflow
import typer
import uvicorn
from mlflow.exceptions import MlflowException
from rich.console import Console
from rich.table import Table

from features.errors import DecarbError
from features.report import load_profile
from models.pyfunc import load_bundle, resolve_tracking_uri
from models.schemas import Objective, RecommendOptions
from serving.app import create_app
from serving.settings import Settings, hash_key

serve_app = typer.Typer(add_completion=False, help="Run the recommendation service over HTTP.")
recommend_app = typer.Typer(add_completion=False, help="Rank measures for a factory JSON file.")


def _configure_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stdout, level=level, format="%(message)s")


@serve_app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    model_uri: Annotated[str | None, typer.Option(help="Model URI to serve.")] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Switch API keys off (local use only).")
    ] = False,
    hash_key_of: Annotated[
        str | None,
        typer.Option("--hash-key", help="Print the SHA-256 hash of an API key and exit."),
    ] = None,
) -> None:
    """Start the service; settings come from DECARB_* variables, flags override them."""
    if hash_key_of is not None:
        typer.echo(hash_key(hash_key_of))
        return
    overrides: dict[str, object] = {
        k: v
        for k, v in {"host": host, "port": port, "workers": workers, "model_uri": model_uri}.items()
        if v is not None
    }
    if no_auth:
        overrides["auth_enabled"] = False
    settings = Settings(**overrides)  # type: ignore[arg-type]  # validated by pydantic
    _configure_logging(settings.log_level)
    tracking_uri = resolve_tracking_uri(settings.tracking_uri)
    settings = settings.model_copy(update={"tracking_uri": tracking_uri})
    url = f"http://{settings.host}:{settings.port}"
    typer.echo(f"serving {settings.model_uri} from {tracking_uri} at {url} (docs: {url}/docs)")
    key_header = "" if not settings.auth_enabled else ' -H "X-API-Key: $DECARB_KEY"'
    example = json.dumps({"profile": json.loads(Path(_example_path()).read_text())})
    typer.echo(
        "try:\n  curl -s -X POST " + url + "/v1/recommendations" + key_header
        + " -H 'Content-Type: application/json' -d '" + example + "'"
    )  # fmt: skip
    if settings.workers > 1:
        os.environ["DECARB_TRACKING_URI"] = tracking_uri
        uvicorn.run("serving.main:app", host=settings.host, port=settings.port,
                    workers=settings.workers, log_config=None)  # fmt: skip
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


def _example_path() -> str:
    return str(Path(__file__).resolve().parents[1] / "features/data/example_factory.json")


@recommend_app.command()
def recommend(
    profile: Annotated[Path, typer.Argument(help="Factory profile JSON.")],
    objective: Annotated[
        str, typer.Option(help="most_tco2e, lowest_cost_per_tco2e, most_adopted_tco2e.")
    ] = "most_tco2e",
    top_k: Annotated[int, typer.Option(help="Measures to show.")] = 10,
    capex_budget: Annotated[float | None, typer.Option(help="Capital budget.")] = None,
    model_uri: Annotated[str, typer.Option(help="Model URI.")] = (
        "models:/decarb-recommender@champion"
    ),
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow store.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")] = None,
    lang: Annotated[str, typer.Option(help="Measure names: en or zh.")] = "en",
) -> None:
    """Print the ranked measures of a factory (same scoring as the service)."""
    console = Console(width=160)
    try:
        factory = load_profile(profile)
        if lang not in ("en", "zh"):
            raise ValueError(f"lang: invalid value {lang!r}; allowed: en, zh")
        options = RecommendOptions.model_validate(
            {"objective": _objective(objective), "top_k": top_k, "capex_budget": capex_budget,
             "lang": lang}
        )  # fmt: skip
    except (DecarbError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    mlflow.set_tracking_uri(resolve_tracking_uri(tracking_uri))
    try:
        model = load_bundle(model_uri)
    except MlflowException as exc:
        console.print(f"[red]error:[/red] cannot load {model_uri}: {exc}")
        raise typer.Exit(code=3) from None
    result = model.bundle.recommend([factory], options)[0]
    fp = result.footprint
    console.print(
        f"[bold]{result.factory_id}[/bold]: {fp.net_location_tco2e:,.0f} tCO2e/yr net "
        f"(scope 1 {fp.scope1_tco2e:,.0f} of which process {fp.process_tco2e:,.0f}, removals "
        f"{fp.removals_tco2:,.0f}, scope 2 {fp.scope2_location_tco2e:,.0f} "
        f"location / {fp.scope2_market_tco2e:,.0f} market); model {model.uri} v{model.version}"
    )
    table = Table(title=f"Recommended measures ({options.objective})")
    columns = ["#", "measure", "tCO2e/yr", "80% interval", f"capex {result.currency}",
               "payback y", f"{result.currency}/tCO2e", "adoption", "why (top factor)"]  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col in ("measure", "why (top factor)") else "right")
    for r in result.recommendations:
        why = ""
        if r.explanation and r.explanation.savings:
            top = r.explanation.savings[0]
            why = f"{top.field}={top.value} {top.unit}".strip()
        table.add_row(
            str(r.rank), r.name if options.lang == "zh" else r.measure_id,
            f"{r.tco2e_avoided:,.1f}",
            f"{r.tco2e_low:,.0f}-{r.tco2e_high:,.0f}", f"{r.capex:,.0f}",
            "-" if r.payback_years is None else f"{r.payback_years:.1f}",
            "-" if r.abatement_cost_per_tco2e is None else f"{r.abatement_cost_per_tco2e:,.0f}",
            "-" if r.adoption_probability is None else f"{r.adoption_probability:.0%}",
            why or ("engineering estimate" if r.basis == "engineering" else ""),
        )  # fmt: skip
    console.print(table)
    p = result.pathway
    console.print(
        f"Pathway ({p.basis.split(' (')[0]}): {p.baseline_tco2e:,.0f} tCO2e/yr -> "
        f"{p.after_physical_measures_tco2e:,.0f} after all {p.measures_counted} beneficial "
        f"measures -> {p.after_onsite_renewables_tco2e:,.0f} after on-site renewables -> "
        f"{p.residual_tco2e:,.0f} after contracting {p.green_electricity_to_contract_kwh:,.0f} kWh "
        f"of green power: gap to zero-carbon {p.gap_to_zero_carbon_tco2e:,.0f} tCO2e/yr."
    )
    if json_out is not None:
        json_out.write_text(result.model_dump_json(indent=2))
        console.print(f"wrote {json_out}")


def _objective(value: str) -> Objective:
    allowed: tuple[Objective, ...] = ("most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e")
    for option in allowed:
        if value == option:
            return option
    raise ValueError(f"objective: invalid value {value!r}; allowed: {', '.join(allowed)}")
