"""Inline SVG charts for admin pages: no JavaScript, nothing from the internet.

The one drawing module of the project: the client page's score history, the
model-fit bars and the retention dashboard's charts. Functions here turn numbers
into shapes and know nothing of clients or emails; the callers pick the figures
and colours (tiers: ``scoring.tiers.TIER_COLOURS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


def line_chart_svg(
    *,
    series: Sequence[tuple[str, str, Sequence[float]]],
    labels: Sequence[str],
    maximum: float,
    width: int = 640,
    height: int = 200,
    boundary: int | None = None,
) -> SafeString:
    """Render lines (name, colour, values 0..maximum) over shared x labels.

    ``boundary``: the index of the first measured point after simulated ones; a
    dashed line between the two says which side is which.
    """
    left, right, top, bottom = 40, 10, 10, 40
    count = max(len(values) for _, _, values in series)
    step = (width - left - right) / max(count - 1, 1)

    def xy(i: int, value: float) -> tuple[str, str]:
        share = min(max(value, 0.0), maximum) / maximum
        return (
            f"{left + i * step:.1f}",
            f"{top + (height - top - bottom) * (1 - share):.1f}",
        )

    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}">'
        "<title>{}</title></polyline>",
        (
            (colour, " ".join(",".join(xy(i, v)) for i, v in enumerate(values)), name)
            for name, colour, values in series
        ),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{} {}: {}</title></circle>',
        (
            (*xy(i, v), colour, name, labels[i], f"{v:,.0f}")
            for name, colour, values in series
            for i, v in enumerate(values)
        ),
    )
    base = height - bottom
    axis = format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#999"/>'
        '<text x="0" y="{}" font-size="10">{}</text>'
        '<text x="0" y="{}" font-size="10">0</text>'
        '<text x="{}" y="{}" font-size="10">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
        left,
        width - right,
        base,
        base,
        top + 8,
        f"{maximum:,.0f}",
        base,
        left,
        base + 14,
        labels[0],
        width - right,
        base + 14,
        labels[-1],
    )
    marker = ""
    if boundary is not None and 0 < boundary < count:
        x = left + (boundary - 0.5) * step
        marker = format_html(
            '<line id="trend-boundary" x1="{}" x2="{}" y1="{}" y2="{}" '
            'stroke="#b8860b" stroke-dasharray="4 3"/>'
            '<text x="{}" y="{}" font-size="10" fill="#8a6d00" '
            'text-anchor="end">simulated</text>'
            '<text x="{}" y="{}" font-size="10" fill="#8a6d00" '
            'text-anchor="end">measured &#8594;</text>',
            f"{x:.1f}",
            f"{x:.1f}",
            top,
            base,
            f"{x - 3:.1f}",
            top + 20,
            f"{x - 3:.1f}",
            top + 32,
        )
    legend = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" fill="{}">&#9632; {}</text>',
        (
            (left + i * 110, height - 6, colour, name)
            for i, (name, colour, _) in enumerate(series)
        ),
    )
    return format_html(
        '<svg role="img" aria-label="Clients per tier over scoring runs" width="{}" '
        'height="{}" viewBox="0 0 {} {}">{}{}{}{}{}</svg>',
        width,
        height,
        width,
        height,
        axis,
        marker,
        lines,
        dots,
        legend,
    )


def bar_chart_svg(
    *,
    bars: Sequence[tuple[str, int, str]],
    label: str,
    width: int = 480,
    row: int = 24,
) -> SafeString:
    """Render horizontal bars (name, value, colour) scaled to the largest value."""
    label_width, value_width = 130, 70
    span = width - label_width - value_width
    largest = max((value for _, value, _ in bars), default=0) or 1
    # format_html escapes its arguments into strings, so numbers are formatted first.
    rows = format_html_join(
        "",
        '<text x="0" y="{y_text}" font-size="12">{name}</text>'
        '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{colour}">'
        "<title>{name}: {value}</title></rect>"
        '<text x="{x_value}" y="{y_text}" font-size="12">{value}</text>',
        (
            {
                "name": name,
                "value": f"{value:,}",
                "colour": colour,
                "x": label_width,
                "y": i * row + 4,
                "y_text": i * row + 17,
                "w": f"{span * value / largest:.1f}",
                "h": row - 8,
                "x_value": f"{label_width + span * value / largest + 6:.1f}",
            }
            for i, (name, value, colour) in enumerate(bars)
        ),
    )
    height = row * len(bars) + 4
    return format_html(
        '<svg role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">'
        "{}</svg>",
        label,
        width,
        height,
        width,
        height,
        rows,
    )


@dataclass(frozen=True, slots=True)
class RateBar:
    """One bar of ``rates_chart_svg``: a proportion and its confidence interval.

    ``interval`` is None when there were no trials (the bar reads "no data").
    """

    name: str
    colour: str
    successes: int
    trials: int
    interval: tuple[float, float] | None

    @property
    def rate(self) -> float:
        return self.successes / self.trials


def rates_chart_svg(
    *, bars: Sequence[RateBar], width: int = 320, height: int = 200
) -> SafeString:
    """Render rates as bars with their 95 % interval as whiskers."""
    if not any(bar.trials for bar in bars):
        return format_html("<em>{}</em>", "No closed attribution windows yet.")
    top, bottom = 10, 30
    plot = height - top - bottom
    bar_width = 70
    # Scale to the highest whisker (in steps of 10 %) so low rates stay readable.
    highest = max(bar.interval[1] for bar in bars if bar.trials and bar.interval)
    scale = min(1.0, math.ceil(highest * 10 + 1e-9) / 10)

    def y(rate: float) -> float:
        return top + plot * (1 - rate / scale)

    shapes = []
    for i, bar in enumerate(bars):
        name, colour = bar.name, bar.colour
        x = 50 + i * 130
        label_y = height - 10
        if not bar.trials or bar.interval is None:
            shapes.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12">{}: no data</text>',
                    x,
                    label_y,
                    name,
                )
            )
            continue
        low, high = bar.interval
        centre = x + bar_width / 2
        shapes.append(
            format_html(
                '<rect x="{x}" y="{top}" width="{bw}" height="{bh}" fill="{colour}">'
                "<title>{name}: {rate} ({n} of {total}); 95% CI {low} to {high}"
                "</title></rect>"
                '<line x1="{c}" x2="{c}" y1="{yh}" y2="{yl}" stroke="#000" '
                'stroke-width="1.5"/>'
                '<line x1="{c0}" x2="{c1}" y1="{yh}" y2="{yh}" stroke="#000"/>'
                '<line x1="{c0}" x2="{c1}" y1="{yl}" y2="{yl}" stroke="#000"/>'
                '<text x="{x}" y="{ly}" font-size="12">{name} {rate}</text>',
                x=x,
                top=f"{y(bar.rate):.1f}",
                bw=bar_width,
                bh=f"{plot * bar.rate / scale:.1f}",
                colour=colour,
                name=name,
                rate=f"{bar.rate:.1%}",
                n=bar.successes,
                total=bar.trials,
                low=f"{low:.1%}",
                high=f"{high:.1%}",
                c=f"{centre:.1f}",
                c0=f"{centre - 8:.1f}",
                c1=f"{centre + 8:.1f}",
                yh=f"{y(high):.1f}",
                yl=f"{y(low):.1f}",
                ly=label_y,
            )
        )
    axis = format_html(
        '<line x1="40" x2="{}" y1="{}" y2="{}" stroke="#999"/>'
        '<text x="0" y="{}" font-size="10">{}</text>'
        '<text x="0" y="{}" font-size="10">0%</text>',
        width,
        top + plot,
        top + plot,
        top + 8,
        f"{scale:.0%}",
        top + plot,
    )
    return format_html(
        '<svg role="img" aria-label="Re-engagement rates with 95% intervals" '
        'width="{}" height="{}" viewBox="0 0 {} {}">{}{}</svg>',
        width,
        height,
        width,
        height,
        axis,
        SafeString("".join(shapes)),
    )
