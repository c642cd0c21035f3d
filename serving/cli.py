"""``decarb-serve`` (the HTTP service) and ``decarb-recommend`` (the same scoring in a terminal)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Final

import typer
import uvicorn
from pydantic import SecretStr, ValidationError
from rich.console import Console
from rich.table import Table

from features.cli import report as terminal_report
from features.errors import DecarbError
from features.i18n import field_words, human, text
from features.report import load_profile
from models.pyfunc import CHAMPION_URI, resolve_tracking_uri
from models.redact import redact
from models.schemas import FactoryRecommendations, Objective, RecommendOptions
from serving.app import create_app
from serving.http_protocol import protocol_class
from serving.logs import configure_logging
from serving.pages.pdf import MissingFontError, render_pdf
from serving.pages.view import Answered, build_view, training_of
from serving.settings import Settings, hash_key
from serving.terminal import load_model_or_exit
from serving.workers import reuse_port_supported

serve_app = typer.Typer(add_completion=False, help="Run the recommendation service over HTTP.")
recommend_app = typer.Typer(add_completion=False, help="Rank measures for a factory JSON file.")
report_app = typer.Typer(
    add_completion=False,
    help="A factory's footprint and applicable measures in the terminal, or (--pdf) its printable "
    "report with the ranked measures, cost curve and pathway.",
)


HostOpt = Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port (default 8000).")]
WorkersOpt = Annotated[int | None, typer.Option(help="Worker processes.")]
ServedUriOpt = Annotated[str | None, typer.Option(help="Model URI to serve.")]
NoAuthOpt = Annotated[bool, typer.Option("--no-auth", help="Switch API keys off (local use only).")]
HashKeyOpt = Annotated[
    str | None, typer.Option("--hash-key", help="Print the SHA-256 hash of an API key and exit.")
]


@serve_app.command()
def serve(  # noqa: PLR0913  Typer reads the command's options from its signature
    *,
    host: HostOpt = None,
    port: PortOpt = None,
    workers: WorkersOpt = None,
    model_uri: ServedUriOpt = None,
    no_auth: NoAuthOpt = False,
    hash_key_of: HashKeyOpt = None,
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
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]  # validated by pydantic
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            typer.echo(f"error: {where + ': ' if where else ''}{err['msg']}", err=True)
        raise typer.Exit(code=2) from None
    tracking_uri = resolve_tracking_uri(settings.tracking_uri)
    configure_logging(settings.log_level, [tracking_uri, settings.database_url])
    settings = settings.model_copy(update={"tracking_uri": tracking_uri})
    _print_start(settings, tracking_uri)
    http = protocol_class(settings.header_read_timeout_s)  # httptools with a header deadline
    if settings.workers > 1:
        # Workers are new processes that build their app from DECARB_* variables: every
        # setting, flags included, goes to them through the environment.
        os.environ.update(settings_environment(settings))
        if reuse_port_supported():  # each worker its own socket: connections spread evenly
            # The supervisor replaces this process (and the libraries it imported).
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, "-m", "serving.workers",
                                      "serving.main:app", settings.host, str(settings.port),
                                      str(settings.workers), SERVER_LOOP, SERVER_HTTP,
                                      settings.log_level])  # fmt: skip
        uvicorn.run("serving.main:app", host=settings.host, port=settings.port,
                    workers=settings.workers, log_config=None, access_log=False,
                    loop=SERVER_LOOP, http=http)  # fmt: skip
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_config=None, access_log=False, loop=SERVER_LOOP, http=http)  # fmt: skip


def _print_start(settings: Settings, tracking_uri: str) -> None:
    """Where the service runs and a first request to try (the store's password masked)."""
    url = f"http://{settings.host}:{settings.port}"
    shown = redact(f"serving {settings.model_uri} from {tracking_uri}", tracking_uri)
    typer.echo(f"{shown} at {url} (docs: {url}/docs)")
    key_header = "" if not settings.auth_enabled else ' -H "X-API-Key: $DECARB_KEY"'
    example = json.dumps({"profile": json.loads(Path(_example_path()).read_text())})
    typer.echo(
        "try:\n  curl -s -X POST " + url + "/v1/recommendations" + key_header
        + " -H 'Content-Type: application/json' -d '" + example + "'"
    )  # fmt: skip


#: Named, not left to uvicorn's "auto": without uvloop and httptools (uvicorn[standard]) a
#: worker answered in ~44 ms what takes ~0.3 ms with them (measured on an empty FastAPI app);
#: a missing package stops the start with an import error instead of a slow service.
SERVER_LOOP: Final = "uvloop"
SERVER_HTTP: Final = "httptools"  # with the header deadline of serving.http_protocol


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as the DECARB_* variable :class:`Settings` reads it back from."""
    out = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        text = json.dumps(plain) if isinstance(plain, list | bool) else str(plain)
        out[f"DECARB_{name.upper()}"] = text
    return out


def _example_path() -> str:
    return str(Path(__file__).resolve().parents[1] / "features/data/example_factory.json")


ProfileArg = Annotated[Path, typer.Argument(help="Factory profile JSON.")]
ObjectiveOpt = Annotated[
    str, typer.Option(help="most_tco2e, lowest_cost_per_tco2e, most_adopted_tco2e.")
]
TopKOpt = Annotated[int, typer.Option(help="Measures to show.")]
BudgetOpt = Annotated[float | None, typer.Option(help="Capital budget.")]
ModelUriOpt = Annotated[str, typer.Option(help="Model URI.")]
TrackingOpt = Annotated[str | None, typer.Option(help="MLflow store.")]
JsonOutOpt = Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")]
AnswerLangOpt = Annotated[str, typer.Option(help="Language of the answer: en or zh (中文).")]
TargetOpt = Annotated[
    float | None, typer.Option(help="Reduction target, share of the baseline (1 = net zero).")
]
CurrencyOpt = Annotated[
    str | None, typer.Option(help="Currency of the amounts (default: the factory's own).")
]


@recommend_app.command()
def recommend(  # noqa: PLR0913  Typer reads the command's options from its signature
    profile: ProfileArg,
    *,
    objective: ObjectiveOpt = "most_tco2e",
    top_k: TopKOpt = 10,
    capex_budget: BudgetOpt = None,
    model_uri: ModelUriOpt = CHAMPION_URI,
    tracking_uri: TrackingOpt = None,
    json_out: JsonOutOpt = None,
    lang: AnswerLangOpt = "en",
    target_reduction: TargetOpt = None,
    currency: CurrencyOpt = None,
) -> None:
    """Print the ranked measures of a factory (same scoring as the service)."""
    console = Console(width=160)
    try:
        factory = load_profile(profile)
        if lang not in ("en", "zh"):
            raise ValueError(f"lang: invalid value {lang!r}; allowed: en, zh")
        options = RecommendOptions.model_validate(
            {"objective": _objective(objective), "top_k": top_k, "capex_budget": capex_budget,
             "lang": lang, "target_reduction": target_reduction, "currency": currency}
        )  # fmt: skip
    except (DecarbError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    model = load_model_or_exit(model_uri, tracking_uri, console)
    result = model.bundle.recommend([factory], options)[0]
    print_recommendations(result, options, console, model.uri, str(model.version))
    if json_out is not None:
        json_out.write_text(result.model_dump_json(indent=2))
        console.print(f"wrote {json_out}")


def print_recommendations(
    result: FactoryRecommendations,
    options: RecommendOptions,
    console: Console,
    model_uri: str,
    model_version: str,
) -> None:
    """The answer for people: numbers to three significant figures, sentences in the answer's
    language (the JSON keeps full values)."""
    lang, fp, h = result.lang, result.footprint, human
    console.print(
        text(
            "cli_footprint", lang, factory=f"[bold]{result.factory_id}[/bold]",
            net=h(fp.net_location_tco2e), scope1=h(fp.scope1_tco2e), process=h(fp.process_tco2e),
            removals=h(fp.removals_tco2), loc=h(fp.scope2_location_tco2e),
            market=h(fp.scope2_market_tco2e), tce=h(fp.comprehensive_energy_tce),
        )
        + ("；" if lang == "zh" else "; ")
        + text("cli_model", lang, uri=model_uri, version=model_version)
    )  # fmt: skip
    for warning in result.warnings:
        console.print(f"[yellow]! {warning}[/yellow]")
    table = Table(title=text("cli_title", lang, objective=options.objective))
    columns = text("cli_columns", lang, cur=result.currency).split("|")
    for j, col in enumerate(columns):
        table.add_column(col, justify="left" if j in (1, 8) else "right")
    for r in result.recommendations:
        why = ""
        if r.explanation and r.explanation.savings:
            top = r.explanation.savings[0]
            value = h(float(top.value)) if isinstance(top.value, int | float) else top.value
            why = f"{field_words(top.field, lang)} {value} {top.unit}".strip()
        table.add_row(
            str(r.rank), r.name, h(r.tco2e_avoided), f"{h(r.tco2e_low)}-{h(r.tco2e_high)}",
            h(r.capex), h(r.payback_years, 2), h(r.abatement_cost_per_tco2e),
            "-" if r.adoption_probability is None else f"{r.adoption_probability:.0%}",
            why or (text("cli_engineering", lang) if r.basis == "engineering" else ""),
        )  # fmt: skip
    console.print(table)
    if result.portfolio is not None and result.portfolio.measures:
        console.print(result.portfolio.note)
    p = result.pathway
    console.print(
        text(
            "cli_pathway", lang, basis=text("rpt_market", lang), baseline=h(p.baseline_tco2e),
            physical=h(p.after_physical_measures_tco2e),
            n=len(p.efficiency_programme) + p.structural_measures,
            onsite=h(p.after_onsite_renewables_tco2e), green=h(p.after_green_electricity_tco2e),
            kwh=h(p.green_electricity_to_contract_kwh), ccus=h(p.after_ccus_tco2e),
            offsets=h(p.offsets_tco2e), residual=h(p.residual_tco2e),
            gap=h(p.gap_to_zero_carbon_tco2e),
        )
    )  # fmt: skip
    if p.target_tco2e is not None:
        console.print(
            text("cli_target", lang, target=h(p.target_tco2e), gap=h(p.gap_to_target_tco2e))
        )
    for note in p.notes:
        console.print(f"- {note}")


def _objective(value: str) -> Objective:
    allowed: tuple[Objective, ...] = ("most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e")
    for option in allowed:
        if value == option:
            return option
    raise ValueError(f"objective: invalid value {value!r}; allowed: {', '.join(allowed)}")


ReportProfileArg = Annotated[
    Path | None,
    typer.Argument(help="Factory profile JSON; the bundled example factory if omitted."),
]
PdfOpt = Annotated[
    Path | None,
    typer.Option(help="Write the printable report (PDF, with the champion's measures) here."),
]
EiaOpt = Annotated[
    Path | None,
    typer.Option(help="EIA state-by-year grid intensity CSV (terminal report only)."),
]
AsJsonOpt = Annotated[bool, typer.Option("--json", help="Print the terminal report as JSON.")]
ReportLangOpt = Annotated[str, typer.Option(help="Language: en or zh (中文).")]
PdfTopKOpt = Annotated[int, typer.Option(help="Measures in the PDF.")]
PdfModelUriOpt = Annotated[str, typer.Option(help="Model URI (PDF).")]
PdfTrackingOpt = Annotated[str | None, typer.Option(help="MLflow store (PDF).")]
FontOpt = Annotated[
    str | None, typer.Option(help="TrueType font with Chinese glyphs (default: found).")
]


@report_app.command()
def report(  # noqa: PLR0913  Typer reads the command's options from its signature
    profile: ReportProfileArg = None,
    *,
    pdf: PdfOpt = None,
    eia_state_factors: EiaOpt = None,
    as_json: AsJsonOpt = False,
    lang: ReportLangOpt = "en",
    top_k: PdfTopKOpt = 10,
    model_uri: PdfModelUriOpt = CHAMPION_URI,
    tracking_uri: PdfTrackingOpt = None,
    cjk_font: FontOpt = None,
) -> None:
    """Print the footprint and applicable measures, or write the PDF report with --pdf."""
    if pdf is None:
        terminal_report(profile, eia_state_factors, as_json, lang)
        return
    console = Console(width=140)
    try:
        factory = load_profile(profile)
        if lang not in ("en", "zh"):
            raise ValueError(f"lang: invalid value {lang!r}; allowed: en, zh")
        options = RecommendOptions.model_validate({"lang": lang, "top_k": top_k})
    except (DecarbError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    model = load_model_or_exit(model_uri, tracking_uri, console)
    result = model.bundle.recommend([factory], options)[0]
    answered = Answered(model.uri, str(model.version), training_of(model.card))
    view = build_view(result, answered, factory)
    try:
        pdf.write_bytes(render_pdf(view, cjk_font))
    except MissingFontError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    typer.echo(f"wrote {pdf}")
