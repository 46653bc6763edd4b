"""Small inline SVG charts for admin pages: no JavaScript, nothing from the internet."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def sparkline_svg(
    *,
    series: Sequence[tuple[str, str, Sequence[float]]],
    labels: Sequence[str],
    width: int = 360,
    height: int = 90,
    maximum: float = 100.0,
) -> SafeString:
    """Render lines (name, colour, values 0..maximum) sharing an x axis of labels."""
    count = max((len(values) for _, _, values in series), default=0)
    if count == 0:
        return format_html("<em>{}</em>", "No score history yet.")
    pad = 4
    step = (width - 2 * pad) / max(count - 1, 1)

    def y(value: float) -> float:
        share = min(max(value, 0.0), maximum) / maximum
        return height - pad - (height - 2 * pad) * share

    def points(values: Sequence[float]) -> str:
        return " ".join(
            f"{pad + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values)
        )

    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}">'
        "<title>{}</title></polyline>",
        ((colour, points(values), name) for name, colour, values in series),
    )
    # Dots too, so a history of one run still shows.
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {}</title></circle>',
        (
            (f"{pad + i * step:.1f}", f"{y(v):.1f}", colour, name, f"{v:.0f}")
            for name, colour, values in series
            for i, v in enumerate(values)
        ),
    )
    legend = format_html_join(
        " ",
        '<span style="color:{}">&#9632; {}</span>',
        ((colour, name) for name, colour, _ in series),
    )
    return format_html(
        '<svg role="img" aria-label="score history" width="{}" height="{}" '
        'viewBox="0 0 {} {}" style="background:#fafafa;border:1px solid #eee">'
        "{}{}</svg><div style='font-size:11px'>{} &middot; {} to {}</div>",
        width,
        height,
        width,
        height,
        lines,
        dots,
        legend,
        labels[0] if labels else "",
        labels[-1] if labels else "",
    )
