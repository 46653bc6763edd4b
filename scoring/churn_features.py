"""Per-client churn features at a cut-off day, from order history alone.

Pure numpy, no Django: the CSV commands and the nightly run build the same
features. Everything is computed from the orders dated on or before the
cut-off, so a training row never sees its own label (the leakage test in
``tests/scoring/test_churn_pipeline.py`` shifts every later order and checks
the rows do not change). Fields a source lacks (CDNOW has no items or ratings)
come out NaN; the trees route NaN on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = (
    "days_since_last",
    "frequency",
    "monetary",
    "tenure",
    "typical_gap",
    "overdue",
    "gap_cv",
    "orders_30",
    "orders_90",
    "orders_180",
    "recent_rate_ratio",
    "keep_rate",
    "last_keep_rate",
    "kept_last2",
    "sent_last2",
    "last_returned_all",
    "mean_rating",
    "last_rating",
    "rating_trend",
    "recency_share",
    "recency_rank",
    "frequency_rank",
    "bg_p_alive",
    "bg_expected",
    "bg_p_none",
)
# More overdue, all else equal, is never less risk (monotone constraints).
MONOTONE_INCREASING = ("days_since_last", "overdue")


@dataclass(frozen=True)
class OrderHistory:
    """One row per client-day, sorted by (client, day); client is a 0..n-1 code.

    Days are integers (days since any fixed origin). ``items_sent``,
    ``items_kept`` and ``rating`` are NaN where unknown.
    """

    client: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    items_sent: np.ndarray
    items_kept: np.ndarray
    rating: np.ndarray
    n_clients: int

    @classmethod
    def build(
        cls,
        *,
        client: np.ndarray,
        day: np.ndarray,
        amount: np.ndarray,
        items_sent: np.ndarray | None = None,
        items_kept: np.ndarray | None = None,
        rating: np.ndarray | None = None,
        n_clients: int | None = None,
    ) -> OrderHistory:
        """Sort rows by (client, day); missing columns become NaN."""
        client = np.asarray(client, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        order = np.lexsort((day, client))
        nan = np.full(client.size, np.nan)

        def col(values: np.ndarray | None) -> np.ndarray:
            return nan if values is None else np.asarray(values, np.float64)[order]

        return cls(
            client=client[order],
            day=day[order],
            amount=np.asarray(amount, np.float64)[order],
            items_sent=col(items_sent),
            items_kept=col(items_kept),
            rating=col(rating),
            n_clients=int(client.max() + 1 if n_clients is None else n_clients),
        )


@dataclass(frozen=True)
class FeatureRows:
    """Features of the clients seen by ``cutoff`` (``client`` codes, X aligned).

    ``frequency``/``recency``/``T`` (days) are the BG/NBD inputs at the cut-off.
    """

    client: np.ndarray
    X: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    cutoff: int

    def column(self, name: str) -> np.ndarray:
        return self.X[:, FEATURES.index(name)]


def _group_sum(codes: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes, weights=weights, minlength=n)


def _rank(values: np.ndarray, reference: list[float] | None) -> np.ndarray:
    """Percentile of each value among the cut-off's clients (or a stored grid)."""
    if reference is None:
        if values.size == 0:
            return values
        reference = np.quantile(values, np.linspace(0, 1, 201)).tolist()
    return np.interp(values, reference, np.linspace(0, 1, len(reference)))


def churn_features_at(
    *,
    history: OrderHistory,
    cutoff: int,
    reference: dict[str, list[float]] | None = None,
) -> FeatureRows:
    """Return the features of every client with an order on or before ``cutoff``.

    Ranks are among the clients at the same cut-off, so a young book's early
    cut-offs teach what transfers to later dates (relative recency), not raw
    day counts the trees cannot extrapolate; one client rescored alone is
    ranked against ``reference`` (the full run's quantiles). BG/NBD columns
    are left NaN; ``churn_pipeline`` fills them from a fit at the cut-off.
    """
    reference = reference or {}
    columns = (
        history.client,
        history.day,
        history.amount,
        history.items_sent,
        history.items_kept,
        history.rating,
    )
    keep = history.day <= cutoff
    if not keep.all():  # at the latest cut-off every row is kept: no copies
        columns = tuple(column[keep] for column in columns)
    c, d, amount, sent, kept, rating = columns
    n = history.n_clients
    if c.size == 0:
        empty = np.zeros(0)
        return FeatureRows(
            np.zeros(0, np.int64), np.zeros((0, len(FEATURES))), empty, empty, empty,
            cutoff,
        )  # fmt: skip
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    ends = np.r_[starts[1:], c.size] - 1
    who = c[starts]
    count = (ends - starts + 1).astype(np.float64)
    first, last = d[starts], d[ends]
    frequency = count - 1
    recency = (last - first).astype(np.float64)
    tenure = (cutoff - first).astype(np.float64)
    since = (cutoff - last).astype(np.float64)

    # Gaps between a client's consecutive order days.
    same = c[1:] == c[:-1]
    gap = np.diff(d)[same].astype(np.float64)
    gap_client = c[1:][same]
    gap_n = _group_sum(gap_client, np.ones(gap.size), n)[who]
    gap_sum = _group_sum(gap_client, gap, n)[who]
    gap_sq = _group_sum(gap_client, gap * gap, n)[who]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_mean = np.where(gap_n > 0, gap_sum / gap_n, np.nan)
        gap_sd = np.sqrt(np.maximum(gap_sq / gap_n - gap_mean**2, 0.0))
        gap_cv = np.where(gap_n > 1, gap_sd / gap_mean, np.nan)
    # Median gap: sort gaps within client, take the middle one (upper median).
    median = np.full(n, np.nan)
    if gap.size:
        order = np.lexsort((gap, gap_client))
        g_sorted, gc_sorted = gap[order], gap_client[order]
        g_starts = np.flatnonzero(np.r_[True, gc_sorted[1:] != gc_sorted[:-1]])
        g_count = np.diff(np.r_[g_starts, gc_sorted.size])
        median[gc_sorted[g_starts]] = g_sorted[g_starts + g_count // 2]
    typical = np.maximum(median[who], 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        overdue = since / typical

    def recent(days: int) -> np.ndarray:
        return _group_sum(c, (d > cutoff - days).astype(np.float64), n)[who]

    o30, o90, o180 = recent(30), recent(90), recent(180)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Orders per day in the last 180 days against before, over the tenure.
        before_days = np.maximum(tenure - 180, 0)
        rate_before = np.where(before_days > 0, (count - o180) / before_days, np.nan)
        ratio = (o180 / np.minimum(tenure + 1, 180)) / rate_before
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)

        total_sent = _group_sum(c, np.nan_to_num(sent), n)[who]
        total_kept = _group_sum(c, np.nan_to_num(kept), n)[who]
        has_items = np.isfinite(sent[ends])
        keep_rate = np.where(
            has_items & (total_sent > 0), total_kept / total_sent, np.nan
        )
        last_keep = np.where(sent[ends] > 0, kept[ends] / sent[ends], np.nan)
        prev = np.where(ends > starts, ends - 1, ends)
        two = ends > starts
        kept2 = np.where(two, kept[ends] + kept[prev], kept[ends])
        sent2 = np.where(two, sent[ends] + sent[prev], sent[ends])
        returned_all = np.where(sent[ends] > 0, (kept[ends] == 0) * 1.0, np.nan)

        rated = np.isfinite(rating)
        r_n = _group_sum(c, rated * 1.0, n)[who]
        r_sum = _group_sum(c, np.nan_to_num(rating), n)[who]
        mean_rating = np.where(r_n > 0, r_sum / r_n, np.nan)
        last_rating = rating[ends]
        earlier = np.where(
            (r_n > 1) & np.isfinite(last_rating),
            (r_sum - np.nan_to_num(last_rating)) / (r_n - 1),
            np.nan,
        )
        trend = last_rating - earlier
        monetary = _group_sum(c, amount, n)[who] / count

    matrix = np.column_stack(
        [
            since,
            frequency,
            monetary,
            tenure,
            median[who],
            overdue,
            gap_cv,
            o30,
            o90,
            o180,
            ratio,
            keep_rate,
            last_keep,
            kept2,
            sent2,
            returned_all,
            mean_rating,
            last_rating,
            trend,
            since / np.maximum(tenure, 1.0),
            _rank(since, reference.get("days_since_last")),
            _rank(frequency, reference.get("frequency")),
            np.full(who.size, np.nan),
            np.full(who.size, np.nan),
            np.full(who.size, np.nan),
        ]
    )
    return FeatureRows(who, matrix, frequency, recency, tenure, cutoff)


def churn_labels(
    *, history: OrderHistory, rows: FeatureRows, horizon: int
) -> np.ndarray:
    """Return True for each row's client with no order in (cutoff, cutoff+horizon]."""
    window = (history.day > rows.cutoff) & (history.day <= rows.cutoff + horizon)
    ordered = np.bincount(history.client[window], minlength=history.n_clients) > 0
    return ~ordered[rows.client]


def history_clients(*, history: OrderHistory, keep: np.ndarray) -> OrderHistory:
    """Return the history of the clients ``keep`` marks (codes renumbered)."""
    rows = keep[history.client]
    code = np.cumsum(keep) - 1
    return OrderHistory(
        client=code[history.client[rows]],
        day=history.day[rows],
        amount=history.amount[rows],
        items_sent=history.items_sent[rows],
        items_kept=history.items_kept[rows],
        rating=history.rating[rows],
        n_clients=int(keep.sum()),
    )


def order_history_from_transactions(
    *, customer_ids: np.ndarray, dates: np.ndarray, amounts: np.ndarray
) -> tuple[OrderHistory, np.ndarray]:
    """Return the history of a transactions file (same-day purchases merged).

    Also returns the customer ids, in client-code order.
    """
    ids, code = np.unique(customer_ids, return_inverse=True)
    day = np.asarray(dates).astype("datetime64[D]").astype(np.int64)
    if day.size == 0:
        return OrderHistory.build(
            client=code, day=day, amount=amounts, n_clients=0
        ), ids
    span = int(day.max() - day.min()) + 1
    key = code.astype(np.int64) * span + (day - day.min())
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=np.asarray(amounts, np.float64))
    history = OrderHistory.build(
        client=unique // span,
        day=unique % span + day.min(),
        amount=total,
        n_clients=ids.size,
    )
    return history, ids
