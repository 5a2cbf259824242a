"""The topic trend chart as inline SVG, rendered on the server (no JavaScript).

Bars are daily volume, the line is the baseline mean of the previous weeks, a
band shows mean + 3 std (the spike threshold), and spike days are red bars with
a marker. Every text in the SVG goes through ``markupsafe.escape``.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from monitor.web.data import TrendPoint

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 14, 28


def trend_svg(points: Sequence[TrendPoint], *, title: str = "", min_z: float = 3.0) -> Markup:
    """An accessible SVG chart of ``points`` (one bar per day)."""
    if not points:
        return Markup('<p class="muted">No data for this period.</p>')
    top = max(max(p.count for p in points), max(p.mean + min_z * p.std for p in points), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(points)

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for tick in (0, top / 2, top):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text class="axis" x="{LEFT - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    band = " ".join(f"{LEFT + (i + 0.5) * step:.1f},{y(p.mean + min_z * p.std):.1f}" for i, p in enumerate(points))
    line = " ".join(f"{LEFT + (i + 0.5) * step:.1f},{y(p.mean):.1f}" for i, p in enumerate(points))
    for i, p in enumerate(points):
        x = LEFT + i * step + step * 0.1
        cls = "bar spike" if p.spike else "bar"
        label = f"{p.day.isoformat()}: {p.count} articles (baseline {p.mean:.1f}, z {p.z:.1f})"
        parts.append(f'<rect class="{cls}" x="{x:.1f}" y="{y(p.count):.1f}" width="{step * 0.8:.1f}" '
                     f'height="{plot_h + TOP - y(p.count):.1f}"><title>{escape(label)}</title></rect>')
        if p.spike:
            parts.append(f'<text class="spike-mark" x="{x + step * 0.4:.1f}" y="{y(p.count) - 3:.1f}" '
                         'text-anchor="middle">▲</text>')
    parts.append(f'<polyline class="threshold" points="{band}"/>')
    parts.append(f'<polyline class="baseline" points="{line}"/>')
    last = len(points) - 1
    for i, anchor in ((0, "start"), (last // 2, "middle"), (last, "end")):
        x = LEFT + (i + 0.5) * step if anchor == "middle" else (LEFT if i == 0 else WIDTH - RIGHT)
        parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
                     f"{escape(points[i].day.isoformat())}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
