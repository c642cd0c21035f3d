"""``decarb-verify``: a plant's meter readings (CSV or Excel) around one measure in, its verified
savings out as plain text (or JSON), with the chart, the PDF and a stored outcome on request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from features.errors import DecarbError
from features.i18n import Lang, text
from features.outcomes import StoredOutcome
from features.sources.outcome_store import OutcomeStore, safe_url
from features.verification import verify
from features.verification.meters import read_meters
from features.verification.schema import Verification
from serving.pages.chart_files import charts_png, stacked_svg
from serving.pages.pdf import MissingFontError
from serving.pages.verify_pdf import render_verification_pdf
from serving.pages.verify_view import VerificationView, build_verification_view, shown_units
from serving.settings import Settings
from serving.verify import outcome_of, request_of, store_outcome

verify_app = typer.Typer(
    add_completion=False,
    help="Verified savings of one measure from a plant's meter readings (IPMVP Option C, "
    "ASHRAE Guideline 14): savings per carrier with their uncertainty, tCO2e/yr, the baseline "
    "fits and the periods left out.",
)

#: Where outcomes go unless told: the service's own default store.
DEFAULT_DATABASE_URL = str(Settings.model_fields["database_url"].default)


class UsageError(DecarbError, ValueError):
    """A command-line option that is missing or does not fit the others."""


def _lang(value: str) -> Lang:
    if value == "en":
        return "en"
    if value == "zh":
        return "zh"
    raise UsageError(f"--lang: invalid value {value!r}; allowed: en, zh")


MetersArg = Annotated[
    Path, typer.Argument(help="Meter readings: .csv or .xlsx, one row per period and carrier.")
]
MeasureOpt = Annotated[str, typer.Option(help="Catalogue measure id (GET /v1/measures).")]
InstalledOpt = Annotated[str, typer.Option(help="Month the measure went into service, YYYY-MM.")]
LangOpt = Annotated[str, typer.Option(help="Language: en or zh (中文).")]
CountryOpt = Annotated[str, typer.Option(help="CN or US (emission factors).")]
RegionOpt = Annotated[str | None, typer.Option(help="Province or state (factors).")]
ConfidenceOpt = Annotated[
    float, typer.Option(help="Two-sided level of the savings uncertainty, 0.5-0.99.")
]
FactoryOpt = Annotated[
    str | None, typer.Option(help="Factory id (default: the profile's with --post).")
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the verification as JSON instead of text.")
]
ChartOpt = Annotated[Path | None, typer.Option(help="Write the chart here (.svg or .png).")]
PdfOpt = Annotated[Path | None, typer.Option(help="Write the verification as PDF here.")]
PostOpt = Annotated[
    bool,
    typer.Option("--post", help="Store the result as the factory's outcome (needs --profile)."),
]
ProfileOpt = Annotated[
    Path | None, typer.Option(help="Factory profile JSON, stored with the outcome (--post).")
]
DatabaseOpt = Annotated[
    str, typer.Option(envvar="DECARB_DATABASE_URL", help="Outcomes store (SQLAlchemy URL).")
]
FontOpt = Annotated[
    str | None, typer.Option(help="TrueType font with Chinese glyphs (default: found).")
]


@dataclass(frozen=True)
class Outputs:
    """Where a verification goes besides the terminal: the chart, the PDF (with the font of
    their Chinese text), the outcomes store (with the factory's profile), and JSON or text."""

    chart: Path | None
    pdf: Path | None
    profile: Path | None
    post: bool
    database_url: str
    cjk_font: str | None
    as_json: bool


@verify_app.command()
def verify_command(  # noqa: PLR0913  Typer reads the command's options from its signature
    meters: MetersArg,
    *,
    measure: MeasureOpt,
    installed: InstalledOpt,
    lang: LangOpt = "en",
    country: CountryOpt = "CN",
    region: RegionOpt = None,
    confidence: ConfidenceOpt = 0.90,
    factory_id: FactoryOpt = None,
    as_json: JsonOpt = False,
    chart: ChartOpt = None,
    pdf: PdfOpt = None,
    post: PostOpt = False,
    profile: ProfileOpt = None,
    database_url: DatabaseOpt = DEFAULT_DATABASE_URL,
    cjk_font: FontOpt = None,
) -> Verification:
    """Verify the savings of MEASURE installed in INSTALLED from the readings in METERS."""
    out = Outputs(chart, pdf, profile, post, database_url, cjk_font, as_json)
    try:
        language = _lang(lang)
        _check_outputs(out)
        profile_data = _profile(profile) if post else None
        if profile_data is not None and factory_id is None:
            found = profile_data.get("factory_id")
            factory_id = found if isinstance(found, str) else None
        readings = read_meters(meters.read_bytes(), meters.name)
        request = request_of({"measure_id": measure, "installed": installed, "country": country,
                              "region": region, "confidence": confidence,
                              "factory_id": factory_id, "readings": readings})  # fmt: skip
        verification = verify(request, language)
        view = build_verification_view(verification, language, units=shown_units(request))
        stored = _write(verification, view, out, profile_data, factory_id)
    except (DecarbError, OSError) as exc:
        # One line: the error names the field (row and column for a file) and what is allowed.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    _tell(verification, view, out, stored)
    return verification


def _write(
    verification: Verification,
    view: VerificationView,
    out: Outputs,
    profile_data: dict[str, Any] | None,
    factory_id: str | None,
) -> StoredOutcome | None:
    """Write the chart and the PDF asked for; store the outcome with ``--post`` (``Any``:
    the profile's raw JSON)."""
    if out.chart is not None:
        _write_chart(view, out.chart, out.cjk_font)
    if out.pdf is not None:
        out.pdf.write_bytes(render_verification_pdf(view, out.cjk_font))
    if profile_data is None:
        return None
    checked = outcome_of(verification, profile_data, factory_id)
    store = OutcomeStore(out.database_url)
    try:
        return store_outcome(store, checked)
    finally:
        store.close()


def _tell(
    verification: Verification, view: VerificationView, out: Outputs, stored: StoredOutcome | None
) -> None:
    """The verification on stdout; what was written and stored on stderr with ``--json``."""
    language = view.lang
    typer.echo(verification.model_dump_json(indent=2) if out.as_json else plain_text(view))
    for path in (out.chart, out.pdf):
        if path is not None:
            typer.echo(text("verify_cli_wrote", language, path=str(path)), err=out.as_json)
    if stored is not None:
        replayed = text("verify_cli_replayed", language) if stored.replayed else ""
        typer.echo(
            text(
                "verify_cli_stored",
                language,
                id=stored.id,
                store=safe_url(out.database_url),
                replayed=replayed,
            ),
            err=out.as_json,
        )


def _check_outputs(out: Outputs) -> None:
    chart, pdf, post, profile = out.chart, out.pdf, out.post, out.profile
    if chart is not None and chart.suffix.lower() not in (".svg", ".png"):
        raise UsageError(f"--chart: invalid value {str(chart)!r}; allowed: a .svg or .png file")
    if pdf is not None and pdf.suffix.lower() != ".pdf":
        raise UsageError(f"--pdf: invalid value {str(pdf)!r}; allowed: a .pdf file")
    if post and profile is None:
        raise UsageError("--profile: missing; allowed: the factory's profile JSON (with --post)")
    if profile is not None and not post:
        raise UsageError("--profile: given without --post; allowed: with --post only")


def _profile(path: Path | None) -> dict[str, Any]:
    """The profile JSON as raw values (``Any``: JSON), ``{"profile": ...}`` unwrapped."""
    assert path is not None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--profile: {path}: not JSON ({exc}); allowed: a JSON object") from None
    if isinstance(data, dict) and isinstance(data.get("profile"), dict):
        data = data["profile"]
    if not isinstance(data, dict):
        raise UsageError(f"--profile: {path}: not a JSON object; allowed: one factory's profile")
    return data


def _write_chart(view: VerificationView, path: Path, cjk_font: str | None) -> None:
    charts = list(view.charts.values())
    if path.suffix.lower() == ".svg":
        path.write_text(stacked_svg(charts), encoding="utf-8")
    else:
        try:
            path.write_bytes(charts_png(charts, cjk_font if view.lang == "zh" else None))
        except MissingFontError as exc:
            raise UsageError(f"--chart: {exc}") from None


def plain_text(view: VerificationView) -> str:
    """The verification as plain text: verdict, savings per carrier, total, fits, periods left
    out, notes, method and factors."""
    lang = view.lang
    out = [
        view.title,
        view.meta,
        "",
        text("verify_verdict_line", lang, word=view.verdict_word, sentence=view.verdict_sentence),
        "",
        text("verify_by_carrier", lang),
        *(f"- {line}" for line in view.carrier_lines),
        view.total,
        "",
        text("verify_fits", lang),
        *(f"- {line}" for line in view.fit_lines),
        "",
        text("verify_excluded", lang),
        *([f"- {c} {p}{'：' if lang == 'zh' else ': '}{n}" for c, p, n in view.excluded_rows]
          or [f"- {text('verify_excluded_none', lang)}"]),
    ]  # fmt: skip
    if view.messages:
        out += ["", text("verify_notes", lang), *(f"- {m}" for m in view.messages)]
    out += ["", text("verify_method", lang), view.method]
    if view.factor_sources:
        out += ["", text("verify_factors", lang), *(f"- {s}" for s in view.factor_sources)]
    return "\n".join(out)
