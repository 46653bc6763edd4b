"""The retention dashboard: measured outcomes and tiers, inside the admin.

The page is plain HTML with inline SVG charts (no JavaScript, nothing loaded from
the internet), drawn by ``stitchengage.charts``; every figure comes from
``emails.services.outcomes``, and this module only picks what each chart shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from customers.models import RiskTier
from customers.selectors import user_is_stylist_only
from emails.models import Experiment
from emails.selectors import dashboard_simulated_data
from emails.services.experiments import experiment_active
from emails.services.outcomes import (
    GroupOutcome,
    Money,
    OutcomeSummary,
    experiments_list,
    outcomes_summarise,
    wilson_interval,
)
from emails.services.variant_outcomes import VariantSummary, variants_summarise
from scoring.tiers import TIER_COLOURS
from stitchengage.charts import RateBar, bar_chart_svg, line_chart_svg, rates_chart_svg

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
        "rates": rates_chart_svg(
            bars=[
                _rate_bar("Emailed", summary.emailed, EMAILED_COLOUR),
                _rate_bar("Holdout", summary.holdout, HOLDOUT_COLOUR),
            ]
        ),
    }


def _rate_bar(name: str, group: GroupOutcome, colour: str) -> RateBar:
    """Return a group's re-engagement rate with its 95 % Wilson interval."""
    interval = (
        wilson_interval(successes=group.reengaged, trials=group.closed)
        if group.closed
        else None
    )
    return RateBar(
        name=name,
        colour=colour,
        successes=group.reengaged,
        trials=group.closed,
        interval=interval,
    )


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
