"""Small bar charts as SVG, drawn on the server: no script, no CDN, readable without them
(every chart sits next to the table with the same numbers)."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 190
CHART_WIDTH = 520


def bar_chart(rows: list[tuple[str, float]], *, title: str) -> Markup:
    """Horizontal bars, one per (label, value); labels and title are escaped."""
    largest = max((value for _, value in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    bar_room = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="{CHART_WIDTH}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = max(1, round(bar_room * value / largest)) if value else 0
        shown = f"{value:g}"
        parts.append(
            f"<g><title>{escape(label)}: {shown}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="#1b1f23">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="#0b5cad"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}" font-size="13" '
            f'fill="#1b1f23">{shown}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)
