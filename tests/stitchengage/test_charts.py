"""The inline SVG chart on the client page."""

from stitchengage.charts import sparkline_svg


def test_sparkline_draws_lines_and_dots():
    """Each series becomes a polyline and a dot per value, with its name."""
    svg = str(
        sparkline_svg(
            series=[("Engagement", "#111", [10, 50, 90]), ("Churn", "#222", [80])],
            labels=["2026-01-01", "2026-02-01", "2026-03-01"],
        )
    )
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
    assert "Engagement: 90" in svg
    assert "2026-01-01 to 2026-03-01" in svg


def test_sparkline_without_history_says_so():
    """No snapshots: a sentence, not an empty box."""
    assert "No score history yet" in str(sparkline_svg(series=[], labels=[]))
