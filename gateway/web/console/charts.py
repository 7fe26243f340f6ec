"""Charts drawn on the server as SVG: readable without JavaScript, a few
hundred bytes each, styled by the console's CSS (no inline styles: the CSP
forbids them).  Every value arrives here as a number or a label and is
escaped before it is written into the markup."""

from __future__ import annotations

from markupsafe import Markup, escape


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bars(items: list[tuple[str, int]], *, title: str, width: int = 320, row: int = 22) -> Markup:
    """Horizontal bars, one per (label, count): for counts per county or category."""
    label_width, top = 120, 4
    height = top + row * max(len(items), 1)
    biggest = max((count for _label, count in items), default=0) or 1
    room = width - label_width - 40
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, count) in enumerate(items):
        y = top + i * row
        length = room * count / biggest
        parts.append(
            f'<text class="chart-label" x="{label_width - 6}" y="{y + row * 0.65:.0f}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{label_width}" y="{y + 3}" width="{_number(length)}" '
            f'height="{row - 8}"/>'
            f'<text class="chart-value" x="{label_width + length + 4:.0f}" '
            f'y="{y + row * 0.65:.0f}">{int(count)}</text>'
        )
    if not items:
        parts.append(f'<text class="chart-label" x="4" y="{row - 6}">No data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(days: list[tuple[str, int]], *, title: str, width: int = 640,
          height: int = 160) -> Markup:
    """Daily counts as columns, with the first and last day and the peak labelled."""
    left, bottom, top = 28, 20, 10
    plot_w, plot_h = width - left - 4, height - bottom - top
    biggest = max((count for _day, count in days), default=0)
    scale = max(biggest, 1)
    step = plot_w / max(len(days), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line class="chart-axis" x1="{left}" y1="{top + plot_h}" x2="{width - 4}" '
             f'y2="{top + plot_h}"/>',
             f'<text class="chart-value" x="{left - 4}" y="{top + 8}" text-anchor="end">'
             f'{biggest}</text>',
             f'<text class="chart-value" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0'
             f'</text>']
    for i, (day, count) in enumerate(days):
        h = plot_h * count / scale
        x = left + i * step
        parts.append(
            f'<rect class="chart-bar" x="{_number(x + 1)}" y="{_number(top + plot_h - h)}" '
            f'width="{_number(max(step - 2, 1))}" height="{_number(h)}">'
            f'<title>{escape(day)}: {int(count)}</title></rect>'
        )
    if days:
        parts.append(f'<text class="chart-label" x="{left}" y="{height - 4}">'
                     f'{escape(days[0][0])}</text>')
        parts.append(f'<text class="chart-label" x="{width - 4}" y="{height - 4}" '
                     f'text-anchor="end">{escape(days[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
