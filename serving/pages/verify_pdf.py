"""A verification as a printable A4 PDF: verdict, the chart per carrier, savings per carrier,
the baseline fits against ASHRAE Guideline 14's limits, the periods left out, notes, method and
factors, with the report's font machinery (``serving.pages.pdf``: a CJK font for Chinese)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from features.i18n import text
from serving.pages.charts import to_drawing
from serving.pages.pdf import _table as table
from serving.pages.pdf import font_for, headings_kept, page_number
from serving.pages.verify_view import VerificationView

#: Colour of the verdict line by verdict (the page's colours).
VERDICT_COLOURS = {"verified": "#2e7d32", "no_savings_detected": "#8a4b00",
                   "not_verifiable": "#c62828"}  # fmt: skip


def render_verification_pdf(view: VerificationView, font_path: str | None = None) -> bytes:
    """The verification as PDF bytes (a Chinese one needs a CJK font: MissingFontError)."""
    lang = view.lang
    font = font_for(lang, font_path)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    verdict = ParagraphStyle(
        "verdict", parent=body, fontSize=11, leading=15,
        textColor=colors.HexColor(VERDICT_COLOURS[view.verdict]),
    )  # fmt: skip

    def p(value: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(value), style)

    story: list[Flowable] = [
        p(view.title, h1),
        p(view.meta, small),
        Spacer(1, 3 * mm),
        p(text("verify_verdict", lang, word=view.verdict_word), verdict),
        p(view.verdict_sentence),
        p(view.total),
        p(text("verify_by_carrier", lang), h2),
        table([text("verify_columns", lang).split("|"), *view.carrier_rows], font, header=True,
              widths=(20 * mm, 18 * mm, 26 * mm, 24 * mm, 16 * mm, 20 * mm, 20 * mm, 34 * mm)),
    ]  # fmt: skip
    story += [p(line.replace("\n  ", " · "), small) for line in view.carrier_lines]
    for chart in view.charts.values():
        story.append(KeepTogether([Spacer(1, 2 * mm), to_drawing(chart, font, scale=0.72)]))
    story.append(p(text("verify_fits", lang), h2))
    story.append(
        table([text("verify_fit_columns", lang).split("|"), *view.fit_rows], font, header=True,
              widths=(20 * mm, 38 * mm, 16 * mm, 14 * mm, 24 * mm, 24 * mm, 18 * mm, 24 * mm))
    )  # fmt: skip
    story.append(p(text("verify_excluded", lang), h2))
    if view.excluded_rows:
        head = text("verify_excluded_columns", lang).split("|")
        story.append(
            table([head, *view.excluded_rows], font, header=True,
                  widths=(26 * mm, 40 * mm, 112 * mm))
        )  # fmt: skip
    else:
        story.append(p(text("verify_excluded_none", lang)))
    if view.messages:
        story.append(p(text("verify_notes", lang), h2))
        story += [p(f"- {m}", small) for m in view.messages]
    story += [p(text("verify_method", lang), h2), p(view.method, small)]
    if view.factor_sources:
        story.append(p(text("verify_factors", lang), h2))
        story += [p(f"- {s}", small) for s in view.factor_sources]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=14 * mm,
        bottomMargin=14 * mm, title=view.title,
    )  # fmt: skip
    numbered = page_number(lang, font)
    doc.build(headings_kept(story, (h2,)), onFirstPage=numbered, onLaterPages=numbered)
    return out.getvalue()
