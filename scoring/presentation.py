"""HTML fragments that explain a score to a stylist, for the client page."""

from __future__ import annotations

import functools

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from customers.models import RiskTier
from stitchengage.charts import bars_svg, sparkline_svg

from .engagement import DEFAULT_WEIGHTS
from .models import ScoreSnapshot
from .tiers import TIER_COLOURS, UNKNOWN_TIER_COLOUR


def snapshot_explanation_html(snapshot: ScoreSnapshot | None) -> SafeString:
    """Return a table of the engagement components, their inputs and weights."""
    if snapshot is None:
        return format_html("<em>{}</em>", "Not scored yet.")
    rows = [
        (
            "Recency",
            snapshot.recency_component,
            DEFAULT_WEIGHTS["recency"],
            f"last order {snapshot.days_since_last_order} days ago",
        ),
        (
            "Frequency",
            snapshot.frequency_component,
            DEFAULT_WEIGHTS["frequency"],
            f"{snapshot.orders} orders, {snapshot.repeat_orders} repeat",
        ),
        (
            "Monetary",
            snapshot.monetary_component,
            DEFAULT_WEIGHTS["monetary"],
            f"${snapshot.average_order_value} per order",
        ),
        (
            "Keep rate",
            snapshot.keep_rate_component,
            DEFAULT_WEIGHTS["keep_rate"],
            "-" if snapshot.keep_rate is None else f"kept {snapshot.keep_rate:.0%}",
        ),
        (
            "Feedback",
            snapshot.rating_component,
            DEFAULT_WEIGHTS["rating"],
            "no ratings"
            if snapshot.average_rating is None
            else f"average {snapshot.average_rating:.1f} / 5",
        ),
    ]
    body = format_html_join(
        "",
        "<tr><td>{}</td><td style='text-align:right'>{}</td>"
        "<td style='text-align:right'>{}</td><td>{}</td></tr>",
        (
            (name, "n/a" if value is None else f"{value:.0f}", f"{weight:.0f}%", why)
            for name, value, weight, why in rows
        ),
    )
    return format_html(
        "<table><thead><tr><th>Component</th><th>Score 0-100</th><th>Weight</th>"
        "<th>Because</th></tr></thead><tbody>{}</tbody></table>"
        "{}"
        "<p>Engagement {} / 100. Churn risk (no order in the next 90 days) {}; "
        "probability still a client {}; expected orders next 90 days {}; "
        "12-month CLV ${}; next order expected around {}.</p>",
        body,
        churn_reasons_html(snapshot),
        snapshot.engagement_score,
        f"{snapshot.churn_risk:.0%}",
        f"{snapshot.p_alive:.0%}",
        f"{snapshot.expected_orders:.2f}",
        snapshot.clv,
        snapshot.expected_next_order_on or "-",
    )


SCORED_BY_WORDS = {
    "gbdt": "the model learned from this book's own history",
    "bgnbd": "BG/NBD (the book is too small or young for the learned model)",
    "baseline": "days since the last order and repeat orders (it ranked best)",
}


def churn_reasons_html(snapshot: ScoreSnapshot) -> SafeString:
    """Return which model set the churn risk and its top reasons, in words."""
    scored_by = SCORED_BY_WORDS.get(snapshot.scored_by, snapshot.scored_by)
    if not snapshot.churn_reasons:
        return format_html("<p>Churn risk from {}.</p>", scored_by)
    return format_html(
        "<p>Churn risk from {}. Main reasons: </p><ul class='churn-reasons'>{}</ul>",
        scored_by,
        format_html_join("", "<li>{}</li>", ((r,) for r in snapshot.churn_reasons)),
    )


def score_history_html(history: list[ScoreSnapshot]) -> SafeString:
    """Return a chart of engagement and churn risk over the snapshots given."""
    return sparkline_svg(
        series=[
            ("Engagement", "#1f77b4", [s.engagement_score for s in history]),
            ("Churn risk %", "#c0392b", [100 * s.churn_risk for s in history]),
        ],
        labels=[f"{s.scored_at:%Y-%m-%d}" for s in history],
    )


MODEL_NAMES = {
    "gbdt": "learned model (trees)",
    "bgnbd": "BG/NBD",
    "baseline_recency": "days since last order",
    "baseline_rfm": "RFM rank (recency + fewest repeats)",
    "bgnbd_expected_orders": "BG/NBD expected orders",
}


def prediction_quality_words(details: dict) -> str:
    """Return the fit's prediction quality in a sentence, Braze-style."""
    backtest = details.get("backtest") or {}
    model = details.get("model") or ""
    shipped = backtest.get(model)
    if not shipped or shipped.get("auc") is None:
        return (
            "Prediction quality: not measured (no held-out period in this "
            f"book's history yet). {details.get('reason', '')}".strip()
        )
    lift = shipped.get("lift_quality") or 0.0
    grade = "good" if lift >= 0.5 else "fair" if lift >= 0.3 else "weak"
    recency = (backtest.get("baseline_recency") or {}).get("auc")
    words = (
        f"Prediction quality: {grade} (lift quality {lift:.2f}, "
        f"AUC {shipped['auc']:.3f}, on the latest held-out 90 days)"
    )
    if recency is not None and model != "baseline_recency":
        delta = shipped["auc"] - recency
        better = "better" if delta >= 0 else "worse"
        words += (
            f"; ranks at-risk clients {better} than days-since-last-order by "
            f"{abs(delta):.3f} AUC"
        )
    return words + "."


def model_fit_quality_html(fit) -> SafeString:
    """Return the churn model's quality: words, AUC bars, calibration by decile."""
    details = {**(fit.churn_details or {}), "model": fit.churn_model}
    backtest = details.get("backtest") or {}
    bars = [
        (
            MODEL_NAMES.get(name, name)
            + (" (shipped)" if name == fit.churn_model else ""),
            figures["auc"],
            "#c0392b" if name == fit.churn_model else "#7f8c8d",
        )
        for name, figures in backtest.items()
        if figures.get("auc") is not None
    ]
    deciles = details.get("calibration") or []
    calibration = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (d["decile"], d["n"], f"{d['predicted']:.0%}", f"{d['actual']:.0%}")
            for d in deciles
        ),
    )
    importances = ", ".join(
        f"{name} {share:.0%}"
        for name, share in list((details.get("importances") or {}).items())[:6]
        if share > 0
    )
    return format_html(
        "<p><strong>{}</strong></p><p>Chosen: {}. {}</p>"
        "<p>ROC AUC on the held-out cut-off:</p>{}"
        "<p>Calibration by decile (1 = riskiest):</p>"
        "<table><tr><th>Decile</th><th>Clients</th><th>Predicted churn</th>"
        "<th>Actual</th></tr>{}</table><p>Most used features: {}</p>",
        prediction_quality_words(details),
        MODEL_NAMES.get(fit.churn_model, fit.churn_model),
        details.get("reason", ""),
        bars_svg(bars=bars),
        calibration,
        importances or "-",
    )


@functools.lru_cache(maxsize=64)
def tier_badge(tier: str) -> SafeString:
    """Render a risk tier as a coloured pill, as every admin list shows it.

    Cached: a list page draws one per row, and ``RiskTier.values`` builds a new
    list on every call (the labels are plain strings, not translated).
    """
    label = RiskTier(tier).label if tier in RiskTier.values else tier
    return format_html(
        '<span class="tier-badge" style="background:{};color:#fff;padding:2px 8px;'
        'border-radius:10px;font-size:11px;white-space:nowrap">{}</span>',
        TIER_COLOURS.get(tier, UNKNOWN_TIER_COLOUR),
        label,
    )
