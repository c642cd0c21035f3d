"""Charts of one factory's answer as plain shapes, drawn once and rendered twice: as SVG for the
page and as a ReportLab drawing for the PDF. Nothing is fetched or scripted in the browser."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html import escape
from typing import Literal

from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib.colors import HexColor

from features.i18n import human

#: Colours: reductions green, increases and gaps red, totals slate, instruments blue.
GREEN, RED, SLATE, BLUE, AMBER, GREY = (
    "#2e7d32",
    "#c62828",
    "#455a64",
    "#1565c0",
    "#ef6c00",
    "#9e9e9e",
)


@dataclass(frozen=True)
class Box:
    """A filled rectangle; ``title`` is its hover text on the page."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Label:
    """Text at (x, y) on its baseline; ``anchor`` start, middle or end."""

    x: float
    y: float
    text: str
    size: float = 10.0
    anchor: Literal["start", "middle", "end"] = "start"
    fill: str = "#212121"


@dataclass(frozen=True)
class Rule:
    """A straight line."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = "#616161"
    dashed: bool = False
    width: float = 1.0


@dataclass
class Chart:
    """Shapes in a ``width`` x ``height`` canvas, y downwards (as SVG)."""

    width: float
    height: float
    title: str
    shapes: list[Box | Label | Rule] = field(default_factory=list)


#: Width of the page's charts in SVG units (the results page's content column, 640 px).
CHART_WIDTH = 640


def bars(
    rows: list[tuple[str, float, str]], title: str, unit: str, width: float = CHART_WIDTH
) -> Chart:
    """Horizontal bars, one per (label, value, colour); negative values drawn leftwards."""
    row_h, left, right = 24.0, 190.0, 90.0
    chart = Chart(width, 16 + row_h * max(len(rows), 1) + 8, title)
    span_lo = min([0.0, *(v for _, v, _ in rows)])
    span_hi = max([0.0, *(v for _, v, _ in rows)])
    span = (span_hi - span_lo) or 1.0
    plot = width - left - right
    zero = left + plot * (-span_lo / span)
    for i, (label, value, colour) in enumerate(rows):
        y = 16 + i * row_h
        x0 = zero + plot * min(value, 0.0) / span
        w = plot * abs(value) / span
        chart.shapes.append(Label(left - 6, y + 15, label, 10, "end"))
        chart.shapes.append(Box(x0, y + 3, max(w, 0.5), row_h - 8, colour, f"{label}: {value:g}"))
        chart.shapes.append(
            Label(
                x0 + w + 4 if value >= 0 else x0 - 4,
                y + 15,
                f"{human(value)} {unit}",
                9,
                "start" if value >= 0 else "end",
            )
        )
    chart.shapes.append(Rule(zero, 12, zero, chart.height - 4))
    return chart


@dataclass(frozen=True)
class CurveItem:
    """One measure on the abatement cost curve."""

    number: int
    name: str
    tco2e: float
    cost_per_tco2e: float


def cost_curve(
    items: list[CurveItem],
    title: str,
    currency: str,
    *,
    axis: str = "tCO2e/yr (total {total})",
    per_tonne: str = "",
) -> Chart:
    """Marginal abatement cost curve: cheapest first, width = tCO2e/yr, height = cost/tCO2e;
    ``axis`` the width's label (``{total}`` the sum), ``per_tonne`` the height's unit."""
    left, right, top, bottom = 70.0, 16.0, 16.0, 40.0
    width, height = CHART_WIDTH, 300.0
    chart = Chart(width, height, title)
    items = sorted(items, key=lambda i: i.cost_per_tco2e)
    total = sum(i.tco2e for i in items) or 1.0
    lo = min([0.0, *(i.cost_per_tco2e for i in items)])
    hi = max([0.0, *(i.cost_per_tco2e for i in items)])
    span = (hi - lo) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h * (hi - value) / span

    zero = y_of(0.0)
    x = left
    for item in items:
        w = plot_w * item.tco2e / total
        y_a, y_b = sorted((y_of(item.cost_per_tco2e), zero))
        colour = GREEN if item.cost_per_tco2e <= 0 else AMBER
        chart.shapes.append(
            Box(
                x,
                y_a,
                max(w - 1, 0.5),
                max(y_b - y_a, 0.5),
                colour,
                f"{item.number}. {item.name}: {human(item.tco2e)} tCO2e, "
                f"{human(item.cost_per_tco2e)} {per_tonne or currency + '/tCO2e'}",
            )
        )
        if w >= 12:
            label_y = y_a - 3 if item.cost_per_tco2e > 0 else y_b + 11
            chart.shapes.append(Label(x + w / 2, label_y, str(item.number), 9, "middle"))
        x += w
    chart.shapes.append(Rule(left, zero, width - right, zero))
    chart.shapes.append(Rule(left, top, left, height - bottom))
    for value in _ticks(lo, hi):
        chart.shapes.append(Label(left - 4, y_of(value) + 3, human(value), 8, "end"))
        chart.shapes.append(Rule(left - 3, y_of(value), left, y_of(value)))
    chart.shapes.append(
        Label(left + plot_w / 2, height - 8, axis.format(total=human(total)), 9, "middle")
    )
    chart.shapes.append(Label(4, top - 4, per_tonne or f"{currency}/tCO2e", 9))
    return chart


@dataclass(frozen=True)
class Step:
    """One step of the pathway: a total (drawn from zero) or a change (drawn from the level)."""

    label: str
    value: float
    total: bool = False


def waterfall(
    steps: list[Step],
    title: str,
    target: float | None = None,
    *,
    axis: str = "tCO2e/yr",
    target_words: str = "target {target}",
) -> Chart:
    """Pathway waterfall: totals as full bars, changes hanging from the running level; a
    dashed line at ``target`` (tCO2e/yr) when one is set, labelled ``target_words``."""
    left, right, top, bottom = 70.0, 10.0, 20.0, 70.0
    width, height = CHART_WIDTH, 300.0
    chart = Chart(width, height, title)
    spans = _spans(steps)
    lo = min([0.0, *(min(a, b) for a, b in spans), *([target] if target is not None else [])])
    hi = max([0.0, *(max(a, b) for a, b in spans)]) or 1.0
    span = (hi - lo) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(steps), 1)

    def y_of(value: float) -> float:
        return top + plot_h * (hi - value) / span

    for i, (step, (a, b)) in enumerate(zip(steps, spans, strict=True)):
        x = left + i * slot + slot * 0.15
        last = i == len(steps) - 1
        _step_bar(chart, step, (x, slot * 0.7, last), sorted((y_of(a), y_of(b))), axis)
        for j, part in enumerate(_wrap(step.label, 14)):
            label_x = x + slot * 0.7 / 2
            chart.shapes.append(Label(label_x, height - bottom + 14 + 11 * j, part, 8, "middle"))
    chart.shapes.append(Rule(left, y_of(0.0), width - right, y_of(0.0)))
    if target is not None:
        chart.shapes.append(Rule(left, y_of(target), width - right, y_of(target), RED, True))
        chart.shapes.append(
            Label(
                width - right - 2,
                y_of(target) - 3,
                target_words.format(target=human(target)),
                8,
                "end",
            )
        )
    for value in _ticks(lo, hi):
        chart.shapes.append(Label(left - 4, y_of(value) + 3, human(value), 8, "end"))
    chart.shapes.append(Label(4, top - 6, axis, 9))
    return chart


def _spans(steps: list[Step]) -> list[tuple[float, float]]:
    """Where each step's bar runs: a total from zero, a change from the running level."""
    level = 0.0
    spans: list[tuple[float, float]] = []
    for step in steps:
        if step.total:
            spans.append((0.0, step.value))
            level = step.value
        else:
            spans.append((level, level - step.value))
            level -= step.value
    return spans


def _step_bar(
    chart: Chart, step: Step, place: tuple[float, float, bool], ys: list[float], axis: str
) -> None:
    """One step's bar and its value on ``chart``: ``place`` is its left edge, width and whether
    it is the last step (the gap, red while emissions remain); ``ys`` its top and bottom."""
    x, w, last = place
    y_a, y_b = ys
    colour = SLATE if step.total else (GREEN if step.value >= 0 else RED)
    if step.total and last:
        colour = RED if step.value > 0 else GREEN
    chart.shapes.append(
        Box(x, y_a, w, max(y_b - y_a, 0.5), colour, f"{step.label}: {human(step.value)} {axis}")
    )
    shown = human(step.value)
    if not step.total and step.value:
        shown = f"-{human(step.value)}" if step.value > 0 else f"+{human(-step.value)}"
    chart.shapes.append(Label(x + w / 2, y_a - 3, shown, 8, "middle"))


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round axis values between ``lo`` and ``hi``."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step) + 1)]


def _wrap(text: str, width: int) -> list[str]:
    """Split a label into lines of about ``width`` characters (CJK counts double), between
    words or between CJK characters, never inside a Latin word ("CCUS" stays whole)."""
    # Tokens: a run of Latin letters, digits and signs, one CJK character, or a space.
    tokens = re.findall(r"[^\s\u2e80-\uffff]+|[\u2e80-\uffff]|\s+", text)
    lines: list[str] = [""]
    used = 0.0
    for token in tokens:
        size = sum(2 if ord(c) > 0x2E80 else 1 for c in token)
        if token.isspace():
            if lines[-1]:
                lines[-1] += " "
                used += 1
            continue
        # CJK punctuation stays at the end of the line before it.
        if used and used + size > width and token not in "、，。）：；":
            lines[-1] = lines[-1].rstrip()
            lines.append("")
            used = 0.0
        lines[-1] += token
        used += size
    return [line.rstrip() for line in lines if line.strip()][:3]


#: Height of the band above a chart that holds its title.
TITLE_BAND = 22.0


def to_svg(chart: Chart) -> str:
    """The chart as an inline SVG element, its title drawn above it (text escaped; fonts
    from the page's CSS)."""
    height = chart.height + TITLE_BAND
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:g} '
        f'{height:g}" role="img" aria-label="{escape(chart.title)}" class="chart">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="4" y="15" font-size="12" font-weight="600" class="chart-title">'
        f"{escape(chart.title)}</text>",
        f'<g transform="translate(0,{TITLE_BAND:g})">',
    ]
    for s in chart.shapes:
        if isinstance(s, Box):
            tip = f"<title>{escape(s.title)}</title>" if s.title else ""
            out.append(
                f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" '
                f'fill="{s.fill}">{tip}</rect>'
            )
        elif isinstance(s, Label):
            out.append(
                f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size:g}" '
                f'text-anchor="{s.anchor}" fill="{s.fill}">{escape(s.text)}</text>'
            )
        else:
            dash = ' stroke-dasharray="4 3"' if s.dashed else ""
            thick = f' stroke-width="{s.width:g}"' if s.width != 1.0 else ""
            out.append(
                f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" '
                f'stroke="{s.stroke}"{dash}{thick}/>'
            )
    out.append("</g></svg>")
    return "".join(out)


def to_drawing(chart: Chart, font: str, scale: float = 0.75) -> Drawing:
    """The chart as a ReportLab drawing (y flipped to PDF's upward axis), its title above it,
    ``scale`` of size."""
    drawing = Drawing(chart.width * scale, (chart.height + TITLE_BAND) * scale)
    group = Group()
    h = chart.height
    group.add(String(4, h + TITLE_BAND - 15, chart.title, fontName=font, fontSize=12))
    for s in chart.shapes:
        if isinstance(s, Box):
            rect = Rect(s.x, h - s.y - s.h, s.w, s.h)
            rect.fillColor = HexColor(s.fill)
            rect.strokeColor = None
            group.add(rect)
        elif isinstance(s, Label):
            group.add(
                String(
                    s.x,
                    h - s.y,
                    s.text,
                    fontName=font,
                    fontSize=s.size,
                    fillColor=HexColor(s.fill),
                    textAnchor=s.anchor,
                )
            )
        else:
            line = Line(s.x1, h - s.y1, s.x2, h - s.y2, strokeColor=HexColor(s.stroke))
            line.strokeWidth = s.width
            if s.dashed:
                line.strokeDashArray = [4, 3]
            group.add(line)
    group.scale(scale, scale)
    drawing.add(group)
    return drawing
