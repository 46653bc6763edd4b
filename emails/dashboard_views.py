"""The retention dashboard: measured outcomes and tiers, inside the admin.

The page is plain HTML with inline SVG charts (no JavaScript, nothing loaded from
the internet). The chart helpers below only turn numbers into shapes; every figure
comes from ``emails.services.outcomes``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from customers.models import RiskTier
from customers.selectors import user_is_stylist_only
from emails.models import Experiment
from emails.selectors import dashboard_simulated_data
from emails.services.experiments import experiment_active
from emails.services.outcomes import (
    Money,
    OutcomeSummary,
    experiments_list,
    outcomes_summarise,
    wilson_interval,
)
from emails.services.variant_outcomes import VariantSummary, variants_summarise

TIER_COLOURS = {
    RiskTier.HEALTHY: "#2e7d32",
    RiskTier.COOLING: "#f9a825",
    RiskTier.AT_RISK: "#c62828",
    RiskTier.LAPSED: "#616161",
    RiskTier.UNSCORED: "#90a4ae",
}
FUNNEL_COLOUR = "#417690"  # the admin's own blue
EMAILED_COLOUR = "#417690"
HOLDOUT_COLOUR = "#9e9e9e"
# Below this much model + email cost an ROI is a division by almost nothing.
ROI_MIN_COST_USD = Decimal("1.00")
ROI_CAP = 100


def dashboard_allowed(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Return whether a user may see company-wide outcomes.

    Reviewers, Managers and superusers may; a stylist sees only their own clients
    everywhere else, so company-wide figures are not for them.
    """
    return (
        user.is_active
        and user.is_staff
        and user.has_perm("emails.view_reengagementemail")
        and not user_is_stylist_only(user)
    )


def dashboard_index(request: HttpRequest) -> TemplateResponse:
    """Show attribution, uplift, money, the funnel and tiers now and over time."""
    if not dashboard_allowed(user=request.user):
        raise PermissionDenied
    experiments = experiments_list()
    experiment = request.GET.get("experiment") or None
    if experiment is not None and experiment not in dict(experiments):
        raise Http404(f"No experiment named {experiment!r}.")
    summary = outcomes_summarise(experiment=experiment)
    variants = None
    if experiment is not None:
        row = Experiment.objects.filter(name=experiment).first()
        if row is not None and len(row.variants) > 1:
            variants = variants_summarise(experiment=row)
    simulated = dashboard_simulated_data(experiment=experiment)
    context = {
        **admin.site.each_context(request),
        "title": "Retention dashboard",
        "summary": summary,
        "experiments": experiments,
        "charts": _charts(summary, seeded_until=simulated.trend_until),
        "percents": _percents(summary),
        "roi": roi_display(summary.money),
        "ses_cost_per_email": settings.SES_COST_PER_EMAIL_USD,
        "simulated": simulated,
        "active_experiment": experiment_active(),
        "variants": variants,
        "variant_rows": variants and _variant_rows(variants),
    }
    return TemplateResponse(request, "emails/dashboard.html", context)


def _percent(value: float | None, *, signed: bool = False) -> str:
    """Format a proportion as a percentage; a signed one as percentage points."""
    if value is None:
        return "\u2013"
    return f"{value * 100:+.1f} pp" if signed else f"{value * 100:.1f}%"


def _percents(summary: OutcomeSummary) -> dict[str, str]:
    uplift = summary.uplift
    itt = summary.itt_uplift
    return {
        "emailed": _percent(summary.emailed.rate),
        "holdout": _percent(summary.holdout.rate),
        "uplift": _percent(uplift and uplift.difference, signed=True),
        "lower": _percent(uplift and uplift.lower, signed=True),
        "upper": _percent(uplift and uplift.upper, signed=True),
        "assigned": _percent(summary.assigned and summary.assigned.rate),
        "itt": _percent(itt and itt.difference, signed=True),
        "itt_lower": _percent(itt and itt.lower, signed=True),
        "itt_upper": _percent(itt and itt.upper, signed=True),
    }


def _variant_rows(variants: VariantSummary) -> dict[str, list[dict[str, str]]]:
    """Format each arm and each comparison of a variant summary for the page."""
    arms = []
    total = sum(arm.weight for arm in variants.arms) or 1
    for arm in variants.arms:
        low, high = arm.interval or (None, None)
        analysed = arm.analysed
        arms.append(
            {
                "version": arm.prompt_version,
                "weight": f"{arm.weight / total:.0%}",
                "closed": f"{arm.outcome.closed:,}",
                "open": f"{arm.outcome.open:,}",
                "reengaged": f"{arm.outcome.reengaged:,}",
                "rate": _percent(arm.outcome.rate),
                "interval": f"{_percent(low)} to {_percent(high)}"
                if arm.interval
                else "\u2013",
                "analysed": f"{analysed.reengaged} of {analysed.closed} "
                f"({_percent(analysed.rate)})"
                if analysed
                else "\u2013",
                "winner": arm.prompt_version == variants.winner,
            }
        )
    comparisons = [
        {
            "label": f"{c.challenger} \u2212 {c.control}",
            "difference": _percent(c.test.difference, signed=True),
            "interval": f"{_percent(c.lower, signed=True)} to "
            f"{_percent(c.upper, signed=True)}",
            "z": f"{c.test.z:.2f}",
            "p": f"{c.test.p_value:.3f}",
            "significant": "yes" if c.significant else "no",
        }
        for c in variants.comparisons
    ]
    return {"arms": arms, "comparisons": comparisons}


def roi_display(money: Money) -> str:
    """Return the ROI as a reader should take it, or why there is no figure.

    ROI divides by the model and email cost, which is a fraction of a cent per
    draft: on a small or simulated book the quotient runs to thousands and says
    nothing. Below ``ROI_MIN_COST_USD`` of cost there is no ROI to speak of, and
    above ``ROI_CAP`` it is shown as "over" the cap.
    """
    if money.roi is None:
        return "not enough data"
    if money.cost < ROI_MIN_COST_USD:
        return f"n/a (cost ${money.cost:.4f} is too small to divide by)"
    if money.roi > ROI_CAP:
        return f"over {ROI_CAP:,}\u00d7"
    return f"{money.roi:,.1f}\u00d7"


# --- Charts -------------------------------------------------------------------------


def _charts(
    summary: OutcomeSummary, *, seeded_until: dt.datetime | None = None
) -> dict[str, SafeString]:
    funnel = summary.funnel
    tiers = [
        (RiskTier(tier).label, count, TIER_COLOURS[tier])
        for tier, count in summary.tiers_now.items()
    ]
    steps = [
        ("At risk (all)", funnel.at_risk),
        ("Held out", funnel.holdout),
        ("Drafted", funnel.drafted),
        ("Approved", funnel.approved),
        ("Sent", funnel.sent),
        ("Re-engaged", funnel.reengaged),
    ]
    return {
        "tiers": bar_chart_svg(bars=tiers, label="Clients by tier now"),
        "funnel": bar_chart_svg(
            bars=[(name, n, FUNNEL_COLOUR) for name, n in steps], label="Funnel"
        ),
        "trend": _trend_chart(summary, seeded_until=seeded_until),
        "rates": rates_chart_svg(summary=summary),
    }


def _trend_chart(
    summary: OutcomeSummary, *, seeded_until: dt.datetime | None = None
) -> SafeString:
    runs = summary.tier_trend
    if not runs:
        return format_html("<em>{}</em>", "No full scoring runs yet.")
    maximum = max((max(counts.values(), default=0) for _, counts in runs), default=0)
    series = [
        (
            RiskTier(tier).label,
            TIER_COLOURS[tier],
            [counts.get(tier, 0) for _, counts in runs],
        )
        for tier in (
            RiskTier.HEALTHY,
            RiskTier.COOLING,
            RiskTier.AT_RISK,
            RiskTier.LAPSED,
        )
    ]
    labels = [f"{started_at:%Y-%m-%d}" for started_at, _ in runs]
    # The first real run after the seeded ones: the chart draws the boundary.
    boundary = None
    if seeded_until is not None:
        boundary = next(
            (i for i, (at, _) in enumerate(runs) if at > seeded_until), None
        )
    return line_chart_svg(
        series=series,
        labels=labels,
        maximum=max(maximum, 1),
        boundary=boundary or None,
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


def rates_chart_svg(
    *, summary: OutcomeSummary, width: int = 320, height: int = 200
) -> SafeString:
    """Render the two re-engagement rates as bars with 95 % Wilson whiskers."""
    groups = [
        ("Emailed", summary.emailed, EMAILED_COLOUR),
        ("Holdout", summary.holdout, HOLDOUT_COLOUR),
    ]
    if not any(group.closed for _, group, _ in groups):
        return format_html("<em>{}</em>", "No closed attribution windows yet.")
    top, bottom = 10, 30
    plot = height - top - bottom
    bar_width = 70
    # Scale to the highest whisker (in steps of 10 %) so low rates stay readable.
    highest = max(
        wilson_interval(successes=g.reengaged, trials=g.closed)[1]
        for _, g, _ in groups
        if g.closed
    )
    scale = min(1.0, math.ceil(highest * 10 + 1e-9) / 10)

    def y(rate: float) -> float:
        return top + plot * (1 - rate / scale)

    shapes = []
    for i, (name, group, colour) in enumerate(groups):
        x = 50 + i * 130
        label_y = height - 10
        if not group.closed:
            shapes.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12">{}: no data</text>',
                    x,
                    label_y,
                    name,
                )
            )
            continue
        low, high = wilson_interval(successes=group.reengaged, trials=group.closed)
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
                top=f"{y(group.rate):.1f}",
                bw=bar_width,
                bh=f"{plot * group.rate / scale:.1f}",
                colour=colour,
                name=name,
                rate=f"{group.rate:.1%}",
                n=group.reengaged,
                total=group.closed,
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
