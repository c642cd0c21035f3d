"""Charts as files of their own: a standalone SVG (white background, a font named) for documents
and a PNG drawn with matplotlib's Agg canvas (no display, no global pyplot state), both from the
same shapes the page and the PDF draw (``serving.pages.charts``)."""

from __future__ import annotations

import io
from pathlib import Path

from serving.pages.charts import Box, Chart, Label, to_svg
from serving.pages.pdf import CJK_FONT_CANDIDATES, MissingFontError

#: Font families a standalone SVG asks for (the first a viewer has is used).
SVG_FONTS = (
    "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'DejaVu Sans', sans-serif"
)
#: Gap between stacked charts, px.
GAP = 12.0
#: CSS pixels per inch (CSS 2.1: 1px = 1/96 in); matplotlib sizes text and lines in points.
PX_PER_INCH, POINTS_PER_INCH = 96.0, 72.0


def stacked_svg(charts: list[Chart]) -> str:
    """``charts`` one below the other as one standalone SVG document."""
    width = max((c.width for c in charts), default=0.0)
    height = sum(c.height for c in charts) + GAP * max(len(charts) - 1, 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" font-family="{SVG_FONTS}">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    y = 0.0
    for chart in charts:
        inner = to_svg(chart).replace(' class="chart"', "", 1)
        inner = inner.replace(
            "<svg ", f'<svg x="0" y="{y:g}" width="{chart.width:g}" height="{chart.height:g}" ', 1
        )
        out.append(inner)
        y += chart.height + GAP
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _cjk_font(configured: str | None) -> str:
    for path in [configured, *CJK_FONT_CANDIDATES]:
        if path and Path(path).is_file():
            return path
    raise MissingFontError(
        "a chart in Chinese needs a CJK TrueType font: install fonts-wqy-microhei or name a "
        ".ttf/.ttc file; allowed without it: an .svg chart, or lang en"
    )


def charts_png(charts: list[Chart], cjk_font: str | None = None, dpi: int = 150) -> bytes:
    """``charts`` one below the other as a PNG; ``cjk_font``: a CJK font file for Chinese
    labels (None: matplotlib's default font, or the first CJK font found when a label needs
    one)."""
    # Imported here: only the command line draws PNGs, and matplotlib costs the service
    # nothing it does not use.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.font_manager import FontProperties  # noqa: PLC0415
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    width = max((c.width for c in charts), default=1.0)
    height = sum(c.height for c in charts) + GAP * max(len(charts) - 1, 0)
    needs_cjk = any(
        isinstance(s, Label) and any(ord(ch) > 0x2E80 for ch in s.text)
        for c in charts
        for s in c.shapes
    )
    font = FontProperties(fname=_cjk_font(cjk_font)) if needs_cjk or cjk_font else None
    figure = Figure(figsize=(width / PX_PER_INCH, height / PX_PER_INCH), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)  # y downwards, as the shapes are drawn
    axes.axis("off")
    points = POINTS_PER_INCH / PX_PER_INCH
    top = 0.0
    for chart in charts:
        for s in chart.shapes:
            if isinstance(s, Box):
                axes.add_patch(
                    Rectangle((s.x, top + s.y), s.w, s.h, facecolor=s.fill, edgecolor="none")
                )
            elif isinstance(s, Label):
                align = {"start": "left", "middle": "center", "end": "right"}[s.anchor]
                axes.text(
                    s.x,
                    top + s.y,
                    s.text,
                    fontsize=s.size * points,
                    color=s.fill,
                    ha=align,
                    va="baseline",
                    fontproperties=font,
                )
            else:
                axes.plot(
                    [s.x1, s.x2],
                    [top + s.y1, top + s.y2],
                    color=s.stroke,
                    linewidth=s.width * points,
                    linestyle=(0, (4, 3)) if s.dashed else "-",
                )
        top += chart.height + GAP
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, facecolor="#ffffff")
    return out.getvalue()
