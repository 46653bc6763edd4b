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


def bars_svg(
    *,
    bars: Sequence[tuple[str, float, str]],
    maximum: float = 1.0,
    width: int = 360,
    bar_height: int = 16,
) -> SafeString:
    """Render labelled horizontal bars (label, value 0..maximum, colour)."""
    if not bars:
        return format_html("<em>{}</em>", "No figures.")
    label_w, pad = 170, 3
    span = width - label_w - 50
    rows = format_html_join(
        "",
        '<text x="0" y="{}" font-size="11">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
        '<text x="{}" y="{}" font-size="11">{}</text>',
        (
            (
                i * (bar_height + pad) + bar_height - 4,
                label,
                label_w,
                i * (bar_height + pad),
                f"{span * min(max(value, 0.0), maximum) / maximum:.1f}",
                bar_height,
                colour,
                f"{label}: {value:.3f}",
                label_w + span * min(max(value, 0.0), maximum) / maximum + 4,
                i * (bar_height + pad) + bar_height - 4,
                f"{value:.3f}",
            )
            for i, (label, value, colour) in enumerate(bars)
        ),
    )
    height = len(bars) * (bar_height + pad)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
        'role="img">{}</svg>',
        width,
        height,
        rows,
    )
