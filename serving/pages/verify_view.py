"""What a person reads of a verification: the verdict in plain words, savings per carrier with
their uncertainty, the baseline fits against ASHRAE Guideline 14's limits, the periods left out,
the method, and a chart per carrier of metered use against the baseline with the savings shaded.
The command line, the page and the PDF all render this one view, so they cannot disagree."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from features.catalogue.measures import Catalogue, measure_name
from features.i18n import Lang, human, text, word
from features.regions import Country
from features.units import GJ_PER_TCE, Carrier, to_canonical
from features.verification.schema import (
    BaselineFit,
    CarrierSavings,
    SeriesPoint,
    Verdict,
    Verification,
    VerificationRequest,
)
from serving.pages.charts import BLUE, GREY, RED, SLATE, Box, Chart, Label, Rule
from serving.pages.charts import _ticks as ticks

WAN = 1e4  # 万
#: Light fills of the chart's bands (savings, more use, installation month, excluded period).
SAVED_FILL, MORE_FILL, INSTALL_FILL, EXCLUDED_FILL = "#a5d6a7", "#ef9a9a", "#e0e0e0", "#ffe0b2"


@dataclass(frozen=True)
class Scale:
    """How a carrier's quantities are shown: divided by ``divisor``, in ``unit``."""

    divisor: float
    unit: str

    def show(self, value: float) -> str:
        return f"{human(value / self.divisor)} {self.unit}"


def scale_of(carrier: Carrier, lang: Lang, largest: float = 0.0, unit: str | None = None) -> Scale:
    """Electricity in kWh (万kWh in Chinese when large), fuels and heat in GJ (tce in Chinese),
    as the factory pages show energy (``serving.pages.amounts.energy``); or in ``unit`` when
    one is given (a US plant's: :func:`shown_units`)."""
    if unit is not None:
        return Scale(to_canonical(carrier, 1.0, unit), unit)
    if carrier == Carrier.ELECTRICITY:
        if lang == "zh" and abs(largest) >= WAN:
            return Scale(WAN, "万kWh")
        return Scale(1.0, "kWh")
    if lang == "zh":
        return Scale(GJ_PER_TCE, "tce")
    return Scale(1.0, "GJ")


def shown_units(request: VerificationRequest) -> dict[Carrier, str]:
    """The unit each carrier is shown in, as on the factory pages of a US plant (issue 31: US
    plants read MWh and MMBtu, or therms for a carrier the meter file gives in therms only);
    none for other countries (the defaults of :func:`scale_of`)."""
    if request.country != Country.US:
        return {}
    typed: dict[Carrier, set[str]] = {}
    for r in request.readings:
        typed.setdefault(r.carrier, set()).add(r.unit)
    units: dict[Carrier, str] = {}
    for carrier, names in typed.items():
        if carrier == Carrier.ELECTRICITY:
            units[carrier] = "MWh"
        elif names == {"therm"}:  # 1 therm = 0.1 MMBtu (features.units), as US gas bills
            units[carrier] = "therm"
        else:
            units[carrier] = "MMBtu"
    return units


@dataclass
class VerificationView:
    """Everything the page, the PDF and the command line show of one verification, already in
    words and rounded (the JSON keeps full values)."""

    lang: Lang
    title: str
    meta: str
    verdict: Verdict
    verdict_word: str
    verdict_sentence: str
    carrier_lines: list[str]
    carrier_rows: list[list[str]]
    total: str
    fit_lines: list[str]
    fit_rows: list[list[str]]
    excluded_rows: list[list[str]]
    messages: list[str]
    method: str
    factor_sources: list[str]
    charts: dict[str, Chart] = field(default_factory=dict)


def carrier_words(carrier: Carrier, lang: Lang) -> str:
    """A carrier in words ("natural gas", 天然气)."""
    return word(carrier.value, lang) if lang == "zh" else carrier.value.replace("_", " ")


def percent(value: float, digits: int = 1) -> str:
    """A fraction as a percentage ("-" when not finite)."""
    return f"{value:.{digits}%}" if math.isfinite(value) else "-"


def limit_percent(value: float) -> str:
    """A limit as a percentage with the digits it has (0.15 -> "15%", 0.005 -> "0.5%")."""
    return f"{round(value * 100, 6):g}%"


def _confidence(value: float) -> str:
    return f"{value:.0%}"


def build_verification_view(
    verification: Verification,
    lang: Lang,
    on: date | None = None,
    units: dict[Carrier, str] | None = None,
) -> VerificationView:
    """The view of ``verification`` in ``lang``, energy in ``units`` where given
    (:func:`shown_units`)."""
    v = verification
    units = units or {}
    catalogue = Catalogue.default()
    measure = catalogue.measures.get(v.measure_id)
    name = measure_name(measure, lang) if measure is not None else v.measure_id
    confidence = _confidence(v.confidence)
    verdict_word = text(f"verify_word_{v.verdict}", lang)
    lines, rows = [], []
    for c in v.carriers:
        lines.append(_carrier_line(c, lang, units.get(c.carrier)))
        rows.append(_carrier_row(c, lang, units.get(c.carrier)))
    fits = [_fit(f, lang) for f in v.fits]
    rows.append([
        text("verify_total_row", lang), verdict_word, "",
        f"± {human(v.tco2e_uncertainty_per_year)} {text('chart_per_year', lang)}", "",
        human(v.tco2e_per_year_location), human(v.tco2e_per_year_market), "",
    ])  # fmt: skip
    return VerificationView(
        lang=lang,
        title=text("verify_heading", lang, measure=name),
        meta=text(
            "verify_meta",
            lang,
            factory=v.factory_id or "-",
            installed=v.installed,
            confidence=confidence,
            date=(on or date.today()).isoformat(),
        ),
        verdict=v.verdict,
        verdict_word=verdict_word,
        verdict_sentence=text(f"verify_say_{v.verdict}", lang, confidence=confidence),
        carrier_lines=lines,
        carrier_rows=rows,
        total=text(
            "verify_total",
            lang,
            loc=human(v.tco2e_per_year_location),
            market=human(v.tco2e_per_year_market),
            unc=human(v.tco2e_uncertainty_per_year),
            confidence=confidence,
        ),
        fit_lines=[line for line, _ in fits],
        fit_rows=[row for _, row in fits],
        excluded_rows=_excluded(v, lang, units),
        messages=[_form_ids_in_words(m, v, lang) for m in v.messages],
        method=v.method,
        factor_sources=list(v.factor_sources),
        charts={
            c.carrier.value: baseline_chart(v.series, c.carrier, lang, units.get(c.carrier))
            for c in v.carriers
        },
    )


def _form_ids_in_words(message: str, v: Verification, lang: Lang) -> str:
    """A note naming a baseline form by its id (change_point_cooling), with the form in words
    in Chinese (the notes are the verification's own, written once)."""
    if lang != "zh":
        return message
    for f in v.fits:
        message = message.replace(f"基准模型形式{f.form}", f"基准模型形式为{form_words(f, lang)}")
    return message


def _carrier_line(c: CarrierSavings, lang: Lang, unit: str | None) -> str:
    scale = scale_of(c.carrier, lang, c.baseline_projected, unit)
    head = text(
        "verify_carrier_line",
        lang,
        carrier=carrier_words(c.carrier, lang),
        verdict=text(f"verify_word_{c.verdict}", lang),
        saved=scale.show(c.saved_per_year),
        uncertainty=scale.show(_per_year(c.uncertainty, c)),
        confidence=_confidence(c.confidence),
        fraction=percent(c.fraction),
        loc=human(c.tco2e_per_year_location),
        market=human(c.tco2e_per_year_market),
        tco2e_unc=human(c.tco2e_uncertainty_per_year),
    )
    period = text(
        "verify_period_line",
        lang,
        start=c.reporting_start.isoformat(),
        end=c.reporting_end.isoformat(),
        n=c.reporting_periods,
        baseline=scale.show(c.baseline_projected),
        metered=scale.show(c.metered),
        adjustment=scale.show(c.non_routine_adjustment),
        saved=scale.show(c.saved),
    )
    return f"{head}\n  {period}"


def _per_year(value: float, c: CarrierSavings) -> float:
    """A quantity over the reporting period as a yearly one, at the ratio the savings were
    annualised with (``saved_per_year / saved``)."""
    if c.saved and math.isfinite(c.saved_per_year / c.saved):
        return value * c.saved_per_year / c.saved
    days = (c.reporting_end - c.reporting_start).days + 1
    return value * 365.25 / days if days > 0 else value


def _carrier_row(c: CarrierSavings, lang: Lang, unit: str | None) -> list[str]:
    scale = scale_of(c.carrier, lang, c.baseline_projected, unit)
    return [
        carrier_words(c.carrier, lang),
        text(f"verify_word_{c.verdict}", lang),
        scale.show(c.saved_per_year),
        f"± {scale.show(_per_year(c.uncertainty, c))}",
        percent(c.fraction),
        human(c.tco2e_per_year_location),
        human(c.tco2e_per_year_market),
        f"{c.reporting_start.isoformat()} – {c.reporting_end.isoformat()} ({c.reporting_periods})",
    ]


def form_words(fit: BaselineFit, lang: Lang) -> str:
    """The baseline model's form in words."""
    balance = "-" if fit.balance_point_c is None else f"{fit.balance_point_c:.1f}"
    return text(f"verify_form_{fit.form}", lang, balance=balance)


def _fit(f: BaselineFit, lang: Lang) -> tuple[str, list[str]]:
    passes = text("verify_fit_passes" if f.passes else "verify_fit_fails", lang)
    values = {
        "r2": f"{f.r2:.3f}",
        "cv": percent(f.cv_rmse),
        "cv_limit": limit_percent(f.cv_rmse_limit),
        "nmbe": percent(f.nmbe, 2),
        "nmbe_limit": limit_percent(f.nmbe_limit),
        "ac": f"{f.autocorrelation:.2f}",
    }
    line = text(
        "verify_fit_line",
        lang,
        carrier=carrier_words(f.carrier, lang),
        form=form_words(f, lang),
        n=f.n_baseline,
        passes=passes,
        **values,
    )
    row = [
        carrier_words(f.carrier, lang),
        form_words(f, lang),
        str(f.n_baseline),
        values["r2"],
        f"{values['cv']} (≤ {values['cv_limit']})",
        f"{values['nmbe']} (± {values['nmbe_limit']})",
        values["ac"],
        passes,
    ]
    return line, row


def _excluded(v: Verification, lang: Lang, units: dict[Carrier, str]) -> list[list[str]]:
    """The periods with a non-routine event: left out of the fit and the savings (with their
    note), or kept with their adjustment (energy the event added, in the carrier's unit)."""
    largest = {c.carrier: c.baseline_projected for c in v.carriers}
    rows = []
    for p in v.series:
        if p.excluded is not None:
            rows.append([carrier_words(p.carrier, lang), _period(p),
                         text("verify_left_out", lang, note=p.excluded)])  # fmt: skip
        elif p.adjustment:
            scale = scale_of(p.carrier, lang, largest.get(p.carrier, 0.0), units.get(p.carrier))
            shown = scale.show(p.adjustment)
            rows.append([carrier_words(p.carrier, lang), _period(p),
                         text("verify_adjusted", lang, amount=shown)])  # fmt: skip
    return rows


def _period(p: SeriesPoint) -> str:
    """A period as people write it: the month when it is one, else its first and last day."""
    month_end = _month_end(p.period)
    if p.period.day == 1 and p.period_end == month_end:
        return p.period.strftime("%Y-%m")
    return f"{p.period.isoformat()} – {p.period_end.isoformat()}"


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class _Plot:
    """Where a baseline chart's periods go: the plot's edges, its value range (in the shown
    unit), the divisor of that unit and the width of one period."""

    left: float
    right: float
    top: float
    bottom: float
    width: float
    height: float
    lo: float
    hi: float
    divisor: float
    slot: float

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def span(self) -> float:
        return (self.hi - self.lo) or 1.0

    def y_of(self, value: float) -> float:
        """The height of ``value`` (a carrier quantity, not yet divided)."""
        return self.top + self.plot_h * (self.hi - value / self.divisor) / self.span

    def x_of(self, i: int) -> float:
        """The middle of the ``i``-th period."""
        return self.left + (i + 0.5) * self.slot


def baseline_chart(
    series: list[SeriesPoint],
    carrier: Carrier,
    lang: Lang,
    unit: str | None = None,
    width: float = 680,
) -> Chart:
    """Metered use of ``carrier`` per period against the baseline (fitted before the measure,
    projected after it, plus any non-routine adjustment), the difference shaded green where
    energy was saved and red where more was used; the installation month and excluded periods
    as grey and amber bands."""
    points = sorted((p for p in series if p.carrier == carrier), key=lambda p: p.period)
    left, right, top, bottom = 64.0, 12.0, 40.0, 40.0
    height = 270.0
    largest = max([0.0, *(max(p.metered, p.baseline + p.adjustment) for p in points)])
    scale = scale_of(carrier, lang, largest, unit)
    chart = Chart(
        width,
        height,
        text("verify_chart_title", lang, carrier=carrier_words(carrier, lang), unit=scale.unit),
    )
    values = [p.metered for p in points] + [p.baseline + p.adjustment for p in points]
    lo = min([0.0, *values]) / scale.divisor
    hi = (max([0.0, *values]) / scale.divisor) or 1.0
    slot = (width - left - right) / max(len(points), 1)
    plot = _Plot(left, right, top, bottom, width, height, lo, hi, scale.divisor, slot)
    _bands(chart, points, plot, scale)
    _lines(chart, points, plot)
    _axes(chart, points, plot)
    shown = {s.fill for s in chart.shapes if isinstance(s, Box)}
    _legend(chart, lang, left, shown)
    return chart


def _bands(chart: Chart, points: list[SeriesPoint], plot: _Plot, scale: Scale) -> None:
    """The installation month and excluded periods as bands, the difference of each reported
    period shaded (saved green, more used red)."""
    top, slot = plot.top, plot.slot
    for i, p in enumerate(points):
        x = plot.left + i * slot
        label = _period(p)
        if p.phase == "installation":
            chart.shapes.append(Box(x, top, slot, plot.plot_h, INSTALL_FILL, label))
        if p.excluded is not None:
            said = f"{label}: {p.excluded}"
            chart.shapes.append(Box(x, top, slot, plot.plot_h, EXCLUDED_FILL, said))
        if p.phase == "reporting" and p.excluded is None:
            adjusted = p.baseline + p.adjustment
            y_a, y_b = sorted((plot.y_of(adjusted), plot.y_of(p.metered)))
            fill = SAVED_FILL if adjusted >= p.metered else MORE_FILL
            saved = scale.show(adjusted - p.metered)
            chart.shapes.append(
                Box(
                    x + slot * 0.05, y_a, slot * 0.9, max(y_b - y_a, 0.5), fill, f"{label}: {saved}"
                )
            )


def _lines(chart: Chart, points: list[SeriesPoint], plot: _Plot) -> None:
    """The baseline (dashed) and metered use (with a dot per period)."""
    x_of, y_of = plot.x_of, plot.y_of
    for i in range(1, len(points)):
        a, b = points[i - 1], points[i]
        chart.shapes.append(
            Rule(x_of(i - 1), y_of(a.baseline + a.adjustment), x_of(i),
                 y_of(b.baseline + b.adjustment), SLATE, True, 1.5)
        )  # fmt: skip
        chart.shapes.append(
            Rule(x_of(i - 1), y_of(a.metered), x_of(i), y_of(b.metered), BLUE, False, 2)
        )
    for i, p in enumerate(points):
        chart.shapes.append(Box(x_of(i) - 1.5, y_of(p.metered) - 1.5, 3, 3, BLUE, _period(p)))


def _axes(chart: Chart, points: list[SeriesPoint], plot: _Plot) -> None:
    """The measure's start (a red dashed line), the axes, their values and period labels."""
    left, top, height, bottom = plot.left, plot.top, plot.height, plot.bottom
    shapes = chart.shapes
    first_reporting = next((i for i, p in enumerate(points) if p.phase != "baseline"), None)
    if first_reporting is not None:
        x = left + first_reporting * plot.slot
        shapes.append(Rule(x, top - 4, x, height - bottom, RED, True))
    shapes.append(Rule(left, plot.y_of(0.0), plot.width - plot.right, plot.y_of(0.0)))
    shapes.append(Rule(left, top, left, height - bottom))
    for value in ticks(plot.lo, plot.hi, 4):
        y = top + plot.plot_h * (plot.hi - value) / plot.span
        shapes.append(Label(left - 4, y + 3, human(value), 8, "end"))
        shapes.append(Rule(left - 3, y, left, y, GREY))
    every = max(1, math.ceil(len(points) / 8))
    for i, p in enumerate(points):
        if i % every == 0:
            shapes.append(Label(plot.x_of(i), height - bottom + 14, _period(p)[:10], 8, "middle"))


def _legend(chart: Chart, lang: Lang, left: float, shown: set[str]) -> None:
    """One row of legend keys above the plot: the lines, and the bands the chart has."""
    keys = [
        ("line", SLATE, text("verify_legend_baseline", lang)),
        ("line", BLUE, text("verify_legend_metered", lang)),
        *(("box", fill, text(f"verify_legend_{name}", lang))
          for fill, name in ((SAVED_FILL, "saved"), (MORE_FILL, "more"),
                             (INSTALL_FILL, "installation"), (EXCLUDED_FILL, "excluded"))
          if fill in shown),
    ]  # fmt: skip
    x, y = left, 14.0
    chart.shapes.append(Label(4, y + 4, chart.title, 10))
    y = 30.0
    for kind, colour, label in keys:
        if kind == "line":
            chart.shapes.append(Rule(x, y, x + 16, y, colour, colour == SLATE, 2))
        else:
            chart.shapes.append(Box(x, y - 5, 12, 10, colour))
        chart.shapes.append(Label(x + 20, y + 3, label, 9))
        # CJK characters are about twice as wide as Latin ones at the same size.
        x += 34 + 5.5 * sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
