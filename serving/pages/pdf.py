"""The printable report of one factory: the page's content as a PDF (A4), caveats, date, model
version, factor table and catalogue versions on the first page. Chinese needs a CJK TrueType
font: the project's set-up installs Debian's fonts-wqy-microhei; ``DECARB_CJK_FONT`` points
elsewhere."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from features.errors import DecarbError
from features.i18n import has_chinese, text
from serving.pages.charts import to_drawing
from serving.pages.view import Card, PageView

#: TrueType fonts with Chinese glyphs, looked for in this order (Debian package paths).
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class MissingFontError(DecarbError, RuntimeError):
    """No font that can print Chinese was found."""


@functools.cache
def report_font(configured: str | None = None) -> str:
    """Register and name the report's font: a CJK TrueType font when one is found (it prints
    Latin too), else Helvetica (English only)."""
    paths = [configured] if configured else []
    for path in [*paths, *CJK_FONT_CANDIDATES]:
        if path and Path(path).is_file():
            pdfmetrics.registerFont(TTFont("ReportCJK", path, subfontIndex=0))
            return "ReportCJK"
    if configured:
        raise MissingFontError(f"DECARB_CJK_FONT: no font file at {configured!r}")
    return "Helvetica"


def font_for(lang: str, font_path: str | None = None) -> str:
    """The report font for ``lang``; :class:`MissingFontError` when Chinese has no font."""
    font = report_font(font_path)
    if lang == "zh" and font == "Helvetica":
        raise MissingFontError(
            "a Chinese report needs a CJK TrueType font: install fonts-wqy-microhei (make "
            "setup does) or set DECARB_CJK_FONT to a .ttf/.ttc file; allowed lang without it: en"
        )
    return font


def render_pdf(view: PageView, font_path: str | None = None) -> bytes:
    """The report as PDF bytes."""
    font = font_for(view.lang, font_path)
    lang = view.lang
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    warn = ParagraphStyle("warn", parent=body, textColor=colors.HexColor("#8a4b00"))
    styles = _Styles(font, body, small, h2)

    def p(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[Flowable] = [
        p(f"{text('page_report_title', lang)}: {view.factory_id}", h1),
        p(view.meta, small),
        Spacer(1, 3 * mm),
    ]
    if view.caveats:
        story.append(p(text("page_caveats", lang), h2))
        story += [p(f"! {c}", warn) for c in view.caveats]
    if view.assumptions:
        story.append(p(text("page_assumptions", lang), h2))
        story += [p(f"- {a}", small) for a in view.assumptions]
    story += _footprint_story(view, styles)
    story += _answer_story(view, styles)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{text('page_report_title', lang)}: {view.factory_id}",
    )
    doc.build(
        headings_kept(story, (h2,)),
        onFirstPage=page_number(lang, font),
        onLaterPages=page_number(lang, font),
    )
    return out.getvalue()


@dataclass(frozen=True)
class _Styles:
    """The report's font and paragraph styles."""

    font: str
    body: ParagraphStyle
    small: ParagraphStyle
    h2: ParagraphStyle


def _footprint_story(view: PageView, st: _Styles) -> list[Flowable]:
    """The footprint: by scope, by carrier, process emissions and the zero-carbon indicators."""
    lang, font, body, small, h2 = view.lang, st.font, st.body, st.small, st.h2

    def p(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[Flowable] = []
    story.append(p(text("page_footprint", lang), h2))
    story.append(
        _table(
            [["", text("chart_per_year", lang)], *([a, b] for a, b in view.scope_rows)],
            font,
            header=True,
            widths=(70 * mm, 35 * mm),
        )
    )
    story.append(p(view.energy_tce, small))
    story.append(to_drawing(view.charts["scopes"], font))
    story.append(p(text("page_by_carrier", lang), h2))
    head = text("page_carrier_columns", lang).split("|")
    story.append(
        _table(
            [head, *view.carrier_rows],
            font,
            header=True,
            widths=(28 * mm, 32 * mm, 22 * mm, 95 * mm),
        )
    )
    if view.process_rows:
        story.append(p(text("page_process", lang), h2))
        head = text("page_process_columns", lang).split("|")
        story.append(
            _table(
                [head, *view.process_rows], font, header=True, widths=(70 * mm, 22 * mm, 85 * mm)
            )
        )
    if view.readiness_rows:
        story.append(p(text("readiness_title", lang), h2))
        story += [p(n, small) for n in view.readiness_notes]
        head = text("readiness_columns", lang).split("|")
        story.append(
            _table(
                [head, *view.readiness_rows],
                font,
                header=True,
                widths=tuple(w * mm for w in (24, 18, 18, 12, 40, 18, 36, 12)),
            )
        )
    return story


def _answer_story(view: PageView, st: _Styles) -> list[Flowable]:
    """The answer: the end-use chart, the cost curve, the pathway and the measure cards."""
    lang, font, body, small, h2 = view.lang, st.font, st.body, st.small, st.h2

    def p(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[Flowable] = []
    story.append(KeepTogether([to_drawing(view.charts["end_uses"], font)]))
    story.append(
        KeepTogether(
            [
                p(text("page_cost_curve", lang), h2),
                to_drawing(view.charts["cost_curve"], font),
                p(view.cost_curve_help, small),
            ]
        )
    )
    if view.raises:
        story.append(p(text("page_raises", lang), h2))
        story += [p(f"- {r}", small) for r in view.raises]
    story.append(
        KeepTogether([p(text("page_pathway", lang), h2), to_drawing(view.charts["pathway"], font)])
    )
    story.append(p(text("page_pathway_holds", lang), body))
    story += [p(f"- {n}", small) for n in view.pathway_holds]
    story += [p(f"- {n}", small) for n in view.pathway_notes]
    story.append(p(text("page_measures", lang), h2))
    if view.portfolio_line:
        story.append(p(view.portfolio_line, small))
    story += [_card(c, lang, body, small) for c in view.cards]
    if view.low_evidence:
        story.append(p(view.low_evidence, small))
    return story


def headings_kept(story: list[Flowable], styles: tuple[ParagraphStyle, ...]) -> list[Flowable]:
    """The story with every heading kept on the page of what follows it (no heading alone
    at the foot of a page)."""
    out: list[Flowable] = []
    i = 0
    while i < len(story):
        item = story[i]
        heading = isinstance(item, Paragraph) and item.style in styles
        if heading and i + 1 < len(story):
            out.append(KeepTogether([item, story[i + 1]]))
            i += 2
            continue
        out.append(item)
        i += 1
    return out


def page_number(lang: str, font: str) -> Callable[[Canvas, Any], None]:
    """A footer drawing the page number ("第 2 页" / "Page 2"), centred. ``Any``: ReportLab's
    document template."""

    def draw(canvas: Canvas, doc: Any) -> None:
        page = canvas.getPageNumber()
        label = f"第 {page} 页" if lang == "zh" else f"Page {page}"
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, label)
        canvas.restoreState()

    return draw


def _table(
    rows: list[list[str]], font: str, header: bool = False, widths: tuple[float, ...] = ()
) -> Table:
    style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    # A cell without Chinese wraps between words only ("tCO2e/tce" is never cut).
    latin = ParagraphStyle("latin", parent=style, wordWrap=None)
    cells = [
        [Paragraph(escape(str(v)), style if has_chinese(str(v)) else latin) for v in row]
        for row in rows
    ]
    # A table broken over pages repeats its header row.
    table = Table(cells, colWidths=list(widths) or None, hAlign="LEFT", repeatRows=int(header))
    # Any: ReportLab's table commands are heterogeneous tuples its stubs type narrowly.
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bdbdbd")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")))
    table.setStyle(TableStyle(commands))
    return table


def _card(card: Card, lang: str, body: ParagraphStyle, small: ParagraphStyle) -> Flowable:
    say = functools.partial(text, lang="zh" if lang == "zh" else "en")
    facts = [
        [say("page_card_tco2e"), f"{card.tco2e} ({card.interval})"],
        [say("page_card_capex"), card.capex],
        [say("page_card_savings"), card.savings],
        [say("page_card_payback"), card.payback],
        [say("page_card_cost"), card.cost_per_tco2e],
        [say("page_card_adoption"), card.adoption],
        [say("page_card_evidence"), card.evidence],
        [say("page_card_direction"), f"{card.direction}: {card.direction_reason}"],
    ]
    if card.energy:
        facts.append([say("page_card_energy"), "; ".join(card.energy)])
    if card.reasons:
        facts.append([say("page_card_why"), " / ".join(card.reasons)])
    title = f"{card.rank}. {card.name}" if not card.raises else f"! {card.name}"
    return KeepTogether(
        [
            Paragraph(
                escape(title),
                ParagraphStyle("t", parent=body, fontSize=10.5, leading=14, spaceBefore=6),
            ),
            Paragraph(escape(card.mechanism), small),
            _table(facts, body.fontName, widths=(38 * mm, 140 * mm)),
        ]
    )
