"""HTML fragments that explain a score to a stylist, for the client page."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .charts import sparkline_svg
from .engagement import DEFAULT_WEIGHTS
from .models import ScoreSnapshot


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
        "<p>Engagement {} / 100. Churn risk (no order in the next 90 days) {}; "
        "probability still a client {}; expected orders next 90 days {}; "
        "12-month CLV ${}; next order expected around {}.</p>",
        body,
        snapshot.engagement_score,
        f"{snapshot.churn_risk:.0%}",
        f"{snapshot.p_alive:.0%}",
        f"{snapshot.expected_orders:.2f}",
        snapshot.clv,
        snapshot.expected_next_order_on or "-",
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
