"""Seed a realistic, deterministic demo client book: stylists, clients, Fixes.

Everything is drawn from one ``numpy.random.Generator(seed)`` in a fixed order, so
the same ``clients``, ``seed``, ``stylists``, ``years`` and ``today`` give identical
names, emails, orders and amounts. Dates are anchored on ``today`` (the local date by
default) so the demo always looks current; pass ``today`` to pin them.

Each client's life is drawn in calendar time, the same way whenever it falls,
so the book is alike at every date (stationary), as a real one roughly is and
as backtests at earlier dates need: sign-ups run over the whole history, the
book growing ``BOOK_GROWTH_PER_YEAR``; each client keeps a cadence of their own
with irregular gaps; after any Fix they may start to lapse (their own hazard),
and a lapse runs two or three Fixes, gaps widening, keeping less and rating
lower, the last one often returned whole, before the client stops. What a
client is at today gives the four segments the demo talks about:

- new: signed up in the last three months;
- loyal: no lapse begun, the next Fix scheduled;
- cooling: a lapse begun, a Fix still to come or the last at most 120 days ago;
- lapsed: stopped, the last Fix more than 120 days ago.

Demo rows are recognisable for ``demo_data_delete``: clients have an ``external_id``
starting with ``demo-`` and stylists an email at ``DEMO_STYLIST_DOMAIN``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections, models, router, transaction
from django.utils import timezone

from customers.columns import CLIENT_ORDER_FACTS, CLIENT_PROFILE_COLUMNS, ORDER_FACTS
from customers.models import BudgetBand, Client, Order, OrderStatus, Style
from customers.roles import STYLISTS
from customers.services.order_summary import client_order_summaries_refresh
from stitchengage.sql import insert_sql

DEMO_EXTERNAL_ID_PREFIX = "demo-"
DEMO_CLIENT_DOMAIN = "example.com"
DEMO_STYLIST_DOMAIN = "stylists.example.com"
ITEMS_SENT = 5
STYLING_FEE = Decimal("20.00")
ZERO = Decimal("0.00")

SEGMENTS = ("loyal", "cooling", "lapsed", "new")
# The book grows by this share a year (sign-ups per day rise exponentially), as
# a young subscription business does; it gives today's ~15% new clients.
BOOK_GROWTH_PER_YEAR = 0.6
# Mean chance, per steady Fix, that a client starts to lapse after it. Each
# client's own is 3 r^2 times it (r uniform): most far below, so a loyal core
# stays for years, and a few far above.
LAPSE_HAZARD = 0.2
# The chance after each of a client's first two Fixes, the same for everyone.
EARLY_LAPSE_HAZARD = 0.25
# A lapse runs this many Fixes (inclusive), each gap wider than the one before.
LAPSE_FIXES = (2, 3)
LAPSE_GAP_MAX = 140
# Probability that a sent item is kept: a client's first Fixes, a steady one; in a
# lapse it falls from LAPSE_KEEP_START to 10-20% by the last Fix.
KEEP_RATE = {"first": 0.45, "steady": 0.55}
LAPSE_KEEP_START = 0.5
# Share of lapses whose last Fix comes back whole.
LAST_FIX_RETURNED = 0.6
# Days since the last Fix after which a client who stopped is "lapsed".
LAPSED_AFTER_DAYS = 120
NEW_WITHIN_DAYS = 90

# Word lists stay compact; one name per line would be 200 lines of noise.
FIRST_NAMES = (  # noqa: SIM905
    "Olivia Emma Charlotte Amelia Sophia Mia Isabella Ava Evelyn Harper Luna Camila "
    "Gianna Elizabeth Eleanor Ella Abigail Sofia Avery Scarlett Emily Aria Penelope "
    "Chloe Layla Mila Nora Hazel Madison Ellie Lily Nova Isla Grace Violet Aurora "
    "Riley Zoey Willow Emilia Stella Zoe Victoria Hannah Addison Leah Lucy Eliana "
    "Ivy Everly Liam Noah Oliver James Elijah William Henry Lucas Benjamin Theodore "
    "Mateo Levi Sebastian Daniel Jack Michael Alexander Owen Asher Samuel Ethan Leo "
    "Jackson Mason Ezra John Hudson Luca Aiden Joseph David Jacob Logan Luke Julian "
    "Gabriel Grayson Wyatt Matthew Maverick Dylan Isaac Elias Anthony Thomas Jayden "
    "Carter Santiago Ezekiel Charles Josiah Caleb Cooper Lincoln Miles Christopher"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez "
    "Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee "
    "Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young "
    "Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez "
    "Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Chen Wang"
).split()
# City, IANA time zone, telephone area code.
CITIES = (
    ("New York", "America/New_York", "212"),
    ("Brooklyn", "America/New_York", "718"),
    ("Boston", "America/New_York", "617"),
    ("Philadelphia", "America/New_York", "215"),
    ("Washington", "America/New_York", "202"),
    ("Atlanta", "America/New_York", "404"),
    ("Miami", "America/New_York", "305"),
    ("Charlotte", "America/New_York", "704"),
    ("Pittsburgh", "America/New_York", "412"),
    ("Detroit", "America/Detroit", "313"),
    ("Indianapolis", "America/Indiana/Indianapolis", "317"),
    ("Louisville", "America/Kentucky/Louisville", "502"),
    ("Chicago", "America/Chicago", "312"),
    ("Houston", "America/Chicago", "713"),
    ("Dallas", "America/Chicago", "214"),
    ("Austin", "America/Chicago", "512"),
    ("San Antonio", "America/Chicago", "210"),
    ("Minneapolis", "America/Chicago", "612"),
    ("Nashville", "America/Chicago", "615"),
    ("New Orleans", "America/Chicago", "504"),
    ("Kansas City", "America/Chicago", "816"),
    ("Denver", "America/Denver", "303"),
    ("Salt Lake City", "America/Denver", "801"),
    ("Boise", "America/Boise", "208"),
    ("Phoenix", "America/Phoenix", "602"),
    ("Tucson", "America/Phoenix", "520"),
    ("Los Angeles", "America/Los_Angeles", "213"),
    ("San Francisco", "America/Los_Angeles", "415"),
    ("San Diego", "America/Los_Angeles", "619"),
    ("Oakland", "America/Los_Angeles", "510"),
    ("Seattle", "America/Los_Angeles", "206"),
    ("Portland", "America/Los_Angeles", "503"),
    ("Las Vegas", "America/Los_Angeles", "702"),
    ("Anchorage", "America/Anchorage", "907"),
    ("Honolulu", "Pacific/Honolulu", "808"),
)
STYLE_VALUES = tuple(Style.values)
BUDGET_BANDS = (
    BudgetBand.VALUE,
    BudgetBand.MODERATE,
    BudgetBand.PREMIUM,
    BudgetBand.LUXURY,
)
BUDGET_WEIGHTS = (0.25, 0.45, 0.22, 0.08)
# Price range of one item per budget band, in dollars.
ITEM_PRICES = {
    BudgetBand.VALUE: (22, 50),
    BudgetBand.MODERATE: (50, 100),
    BudgetBand.PREMIUM: (100, 200),
    BudgetBand.LUXURY: (200, 380),
}
SIZES_TOP = ("XS", "S", "M", "L", "XL", "XXL")
SIZES_BOTTOM = ("0", "2", "4", "6", "8", "10", "12", "14", "16", "28", "30", "32", "34")
SIZES_SHOE = ("6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12")
ITEMS = (
    "denim jacket",
    "striped tee",
    "black skinny jeans",
    "wrap dress",
    "cashmere sweater",
    "linen shirt",
    "chino shorts",
    "leather ankle boots",
    "silk blouse",
    "wide-leg trousers",
    "bomber jacket",
    "midi skirt",
    "merino cardigan",
    "white sneakers",
    "oxford shirt",
    "utility vest",
    "floral sundress",
    "crossbody bag",
    "knit beanie",
    "tailored blazer",
    "joggers",
    "graphic hoodie",
    "pleated skirt",
    "trench coat",
)
NOTES = (
    "Prefers earth tones; no pleats.",
    "Travels for work a lot: wrinkle-free fabrics.",
    "Asked for more workwear before the new job starts.",
    "Loves bold prints, dislikes anything cropped.",
    "Between sizes in tops; check the fit notes.",
    "Wedding in the spring: include one dressy option.",
    "Runs warm; avoid heavy knits.",
    "Wants sustainable brands where possible.",
)
COMMENTS = {
    1: ("Nothing fit, very disappointed.", "Not my style at all."),
    2: ("Sizes were off this time.", "Too pricey for what it was."),
    3: ("A couple of nice pieces.", "Okay, but I expected more colour."),
    4: ("Great picks, kept most of it.", "Love the jacket!"),
    5: ("Perfect Fix, my stylist gets me.", "Everything fit beautifully."),
}


@dataclass
class SeedSummary:
    """How many rows a seed created, and the clients per segment."""

    stylists: int = 0
    clients: int = 0
    orders: int = 0
    segments: dict[str, int] = field(default_factory=dict)


class DemoDataExistsError(ValueError):
    """Raised when demo rows are already present; delete them first."""


def demo_data_delete() -> tuple[int, int]:
    """Delete demo clients (and their orders) and demo stylists; return the counts."""
    with transaction.atomic():
        clients_qs = Client.objects.filter(
            external_id__startswith=DEMO_EXTERNAL_ID_PREFIX
        )
        # Orders first, in one statement, so the cascade has little to collect.
        Order.objects.filter(client__in=clients_qs).delete()
        _, deleted = clients_qs.delete()
        clients = deleted.get(Client._meta.label, 0)
        _, deleted = (
            get_user_model()
            .objects.filter(email__endswith=f"@{DEMO_STYLIST_DOMAIN}")
            .delete()
        )
        stylists = deleted.get(get_user_model()._meta.label, 0)
    return clients, stylists


def demo_seed(
    *,
    clients: int,
    seed: int,
    stylists: int = 5,
    years: int = 3,
    today: dt.date | None = None,
) -> SeedSummary:
    """Create ``stylists`` stylists and ``clients`` clients with their order history.

    Raise ``DemoDataExistsError`` when demo data is already present, because the
    same seed would collide with it on emails.
    """
    if clients < 0 or stylists < 1 or years < 1:
        raise ValueError("Need clients >= 0, stylists >= 1 and years >= 1.")
    today = today or timezone.localdate()

    with transaction.atomic():
        if Client.objects.filter(
            external_id__startswith=DEMO_EXTERNAL_ID_PREFIX
        ).exists() or (
            get_user_model()
            .objects.filter(email__endswith=f"@{DEMO_STYLIST_DOMAIN}")
            .exists()
        ):
            raise DemoDataExistsError(
                "Demo data already exists; delete it first (seed_demo --reset)."
            )
        book = demo_book_build(
            clients=clients, seed=seed, stylists=stylists, years=years, today=today
        )
        stylist_users = _stylists_create(names=book.stylists)
        stylist_pks = [user.pk for user in stylist_users]
        for row in book.clients:
            row[_C["stylist_id"]] = stylist_pks[row[_C["stylist_id"]]]
        rows_insert(model=Client, columns=CLIENT_COLUMNS, rows=book.clients)
        pks = dict(
            Client.objects.filter(
                external_id__startswith=DEMO_EXTERNAL_ID_PREFIX
            ).values_list("external_id", "pk")
        )
        order_rows = [[pks[row[0]], *row[1:]] for row in book.orders]
        rows_insert(model=Order, columns=ORDER_COLUMNS, rows=order_rows)
        # order_count / last_order_at were set above; the scoring summary here.
        client_order_summaries_refresh(client_pks=pks.values())

    names, counts = np.unique(book.segments, return_counts=True)
    return SeedSummary(
        stylists=len(stylist_users),
        clients=len(book.clients),
        orders=len(book.orders),
        segments=dict(zip(names.tolist(), counts.tolist(), strict=True)),
    )


@dataclass
class DemoBook:
    """A demo book as plain rows, before any database sees it.

    ``clients`` are rows of ``CLIENT_COLUMNS`` whose ``stylist_id`` is an index
    into the stylists ordered by username in the database (its collation, not
    Python's, so ``demo_seed`` maps it to pks after creating them); ``orders``
    are rows of ``ORDER_COLUMNS`` whose first value is the client's
    ``external_id``. Benchmarks and tests read a book here without a database.
    """

    stylists: list[tuple[str, str, str]]  # username, first, last; as drawn
    clients: list[list]
    orders: list[list]
    segments: np.ndarray  # what each client is at today
    today: dt.date

    def transactions(self, *, tz: dt.tzinfo) -> list[tuple[str, dt.date, Decimal]]:
        """Return (external_id, day, amount) of every order the scoring counts.

        Counted as the scoring reads the database: not canceled and placed by
        today (the scheduled next Fixes are later); the day in ``tz``, the
        business's time zone.
        """
        at, status, amount = (
            ORDER_COLUMNS.index(name) for name in ("ordered_at", "status", "amount")
        )
        rows = []
        for row in self.orders:
            day = row[at].astimezone(tz).date()
            if row[status] != OrderStatus.CANCELED and day <= self.today:
                rows.append((row[0], day, row[amount]))
        return rows


def demo_book_build(
    *,
    clients: int,
    seed: int,
    stylists: int = 5,
    years: int = 3,
    today: dt.date,
) -> DemoBook:
    """Draw the whole demo book from ``Generator(seed)`` (what ``demo_seed`` writes)."""
    rng = np.random.default_rng(seed)
    names = _stylist_names(rng=rng, count=stylists)
    client_rows = _clients_build(
        rng=rng,
        count=clients,
        stylist_ids=list(range(len(names))),
        years=years,
        today=today,
    )
    lives = _lives_draw(rng=rng, clients=client_rows, years=years, today=today)
    order_rows = _orders_build(rng=rng, clients=client_rows, lives=lives, today=today)
    segments = np.array([life.segment for life in lives], dtype=str)
    return DemoBook(
        stylists=names,
        clients=client_rows,
        orders=order_rows,
        segments=segments,
        today=today,
    )


def rows_insert(
    *,
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    batch_size: int = 5000,
) -> None:
    """Insert rows of plain values into ``model``'s table with ``executemany``.

    ``bulk_create`` runs every value through the field API, which for a seed of
    10,000 clients is over a million calls and costs more than generating the
    data. Here each column is adapted for the database once per value by the
    backend's own adapter. Fields left out get their default (``auto_now`` ones
    the current time), so a field added later with a default needs no change.
    """
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    given = {name: i for i, name in enumerate(columns)}
    fields, sources = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        fields.append(f)
        if f.attname in given:
            sources.append((given[f.attname], _adapter(f, connection)))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            sources.append((None, f.get_db_prep_save(now, connection)))
        elif f.has_default() or f.null:
            sources.append((None, f.get_db_prep_save(f.get_default(), connection)))
        else:
            raise ValueError(f"No value for {model.__name__}.{f.name}.")
    # Identifiers come from the model and are quoted; values are parameters.
    sql = insert_sql(model, fields, connection)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(
                sql,
                [
                    tuple(
                        const
                        if i is None
                        else (row[i] if const is None else const(row[i]))
                        for i, const in sources
                    )
                    for row in rows[start : start + batch_size]
                ],
            )


def _adapter(f: models.Field, connection) -> Callable | None:
    """Return the function turning a Python value into ``f``'s database value."""
    ops = connection.ops
    if isinstance(f, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(f, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
    if isinstance(f, models.JSONField):
        return lambda v: f.get_db_prep_save(v, connection)
    return None


def _stylist_names(
    *, rng: np.random.Generator, count: int
) -> list[tuple[str, str, str]]:
    """Return (username, first, last) per stylist, in the order drawn."""
    firsts = rng.choice(FIRST_NAMES[:50], size=count, replace=count > 50)
    lasts = rng.choice(LAST_NAMES, size=count, replace=count > len(LAST_NAMES))
    names = []
    for i, (first, last) in enumerate(zip(firsts, lasts, strict=True), start=1):
        username = f"{first.lower()}.{last.lower()}"
        if count > 50:
            username += str(i)
        names.append((username, str(first), str(last)))
    return names


def _stylists_create(*, names: list[tuple[str, str, str]]) -> list:
    """Create the stylists; return them ordered by username (the database's)."""
    user_model = get_user_model()
    users = []
    for username, first, last in names:
        user = user_model(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{DEMO_STYLIST_DOMAIN}",
            is_staff=True,
        )
        # Log-ins for the demo are set by whoever runs it (e.g. demo_setup).
        user.set_unusable_password()
        users.append(user)
    user_model.objects.bulk_create(users)
    users = list(
        user_model.objects.filter(email__endswith=f"@{DEMO_STYLIST_DOMAIN}").order_by(
            "username"
        )
    )
    Group.objects.get(name=STYLISTS).user_set.add(*users)
    return users


CLIENT_COLUMNS = (*CLIENT_PROFILE_COLUMNS, *CLIENT_ORDER_FACTS)
_C = {name: i for i, name in enumerate(CLIENT_COLUMNS)}
ORDER_COLUMNS = ("client_id", *ORDER_FACTS)


def _clients_build(
    *,
    rng: np.random.Generator,
    count: int,
    stylist_ids: list[int],
    years: int,
    today: dt.date,
) -> list[list]:
    """Draw every client attribute as a column, then assemble rows."""
    firsts = rng.choice(FIRST_NAMES, size=count)
    lasts = rng.choice(LAST_NAMES, size=count)
    cities = rng.integers(len(CITIES), size=count)
    phones = rng.integers(100, 10_000, size=count)
    stylist_idx = rng.integers(len(stylist_ids), size=count)
    budgets = rng.choice(len(BUDGET_BANDS), size=count, p=BUDGET_WEIGHTS)
    n_styles = rng.integers(1, 4, size=count)
    style_order = rng.random((count, len(STYLE_VALUES))).argsort(axis=1)
    tops = rng.integers(len(SIZES_TOP), size=count)
    bottoms = rng.integers(len(SIZES_BOTTOM), size=count)
    shoes = rng.integers(len(SIZES_SHOE), size=count)
    consent = rng.random(count) < 0.8
    unsubscribed = ~consent & (rng.random(count) < 0.4)
    unsubscribed_days = rng.integers(1, 365, size=count)
    has_note = rng.random(count) < 0.15
    notes = rng.integers(len(NOTES), size=count)

    # Sign-ups over the whole history at a rate growing BOOK_GROWTH_PER_YEAR:
    # days ago with density proportional to exp(-g * days) (inverse CDF), the
    # first Fix (1-14 days after) still inside the history.
    span = years * 365 - 15
    g = np.log1p(BOOK_GROWTH_PER_YEAR) / 365
    signup_ago = (-np.log1p(-rng.random(count) * -np.expm1(-g * span)) / g).astype(int)

    rows = []
    for i in range(count):
        first, last = str(firsts[i]), str(lasts[i])
        city, tz, area = CITIES[cities[i]]
        rows.append(
            [
                first,
                last,
                f"{first.lower()}.{last.lower()}{i + 1}@{DEMO_CLIENT_DOMAIN}",
                f"({area}) 555-{int(phones[i]):04d}",
                city,
                tz,
                today - dt.timedelta(days=int(signup_ago[i])),
                f"{DEMO_EXTERNAL_ID_PREFIX}{i + 1:07d}",
                stylist_ids[stylist_idx[i]],
                [STYLE_VALUES[s] for s in sorted(style_order[i, : n_styles[i]])],
                SIZES_TOP[tops[i]],
                SIZES_BOTTOM[bottoms[i]],
                SIZES_SHOE[shoes[i]],
                BUDGET_BANDS[budgets[i]].value,
                bool(consent[i]),
                (
                    _at(today - dt.timedelta(days=int(unsubscribed_days[i])), 10, tz)
                    if unsubscribed[i]
                    else None
                ),
                NOTES[notes[i]] if has_note[i] else "",
                0,  # order_count and last_order_at: set with the orders
                None,
            ]
        )
    return rows


def _at(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(tz))


@dataclass(frozen=True)
class _Life:
    """One client's Fixes up to today and the next one, and what each keeps.

    ``keep_rate`` is each Fix's chance that an item is kept; ``stopped`` says
    the last day is the client's last Fix ever (else it is the next, scheduled
    one, or one still to ship); ``segment`` is what the client is at today.
    """

    days: list[dt.date]
    keep_rate: list[float]
    stopped: bool
    segment: str


def _life_draw(*, r: np.ndarray, signup: dt.date, today: dt.date) -> _Life:
    """Draw one client's life from uniform draws ``r``, in calendar time.

    Nothing here looks at ``today`` but to cut the life there: a client starts
    to lapse after any Fix with their own chance, whenever that falls, so the
    book is alike at every date (stationary) and a backtest at an earlier date
    meets the same book as one at today. Taking one block of draws per client
    keeps the generator calls (the slow part of numpy for tiny arrays) to one
    per client.
    """
    first = signup + dt.timedelta(days=1 + int(r[0] * 14))
    # Each client has a cadence of their own (monthly to every ~3 months) and
    # irregular gaps around it, as real subscribers do; a book of identical
    # cadences would leave the churn model no heterogeneity to learn.
    cadence = 28 + r[1] * 62
    gaps = (cadence * (0.45 + 1.1 * r[8:])).astype(int) + 7
    # Steady Fixes before the lapse starts: two early chances, then geometric
    # with the client's own hazard.
    hazard = max(LAPSE_HAZARD * 3 * r[2] ** 2, 1e-9)
    if r[3] < EARLY_LAPSE_HAZARD:
        steady = 1
    elif r[3] < EARLY_LAPSE_HAZARD * (2 - EARLY_LAPSE_HAZARD):
        steady = 2
    else:
        steady = 3 + int(np.log1p(-r[4]) / np.log1p(-hazard))
    lapse_n = LAPSE_FIXES[0] + int(r[5] * (LAPSE_FIXES[1] - LAPSE_FIXES[0] + 1))
    widen = 1.25 + 0.25 * r[6]
    n = steady + lapse_n
    horizon = (today - first).days
    # Every Fix up to today, then the next one (scheduled) if there is one.
    offsets = [0]
    gap = 0.0
    while len(offsets) < n and offsets[-1] <= horizon:
        k = len(offsets)
        base = gaps[(k - 1) % gaps.size]
        # In a lapse each gap is wider than the one before, up to a cap.
        gap = base if k < steady else min(max(gap, base) * widen, LAPSE_GAP_MAX)
        offsets.append(offsets[-1] + int(gap))
    shown = len(offsets)
    past = shown - (offsets[-1] > horizon)
    days = [first + dt.timedelta(days=d) for d in offsets]
    # A lapse is foreshadowed, as in a real book: its Fixes keep less and less
    # (and so rate lower), down to the client's floor of 10-20%.
    floor = 0.1 + 0.1 * r[7]
    keep_rate = [
        KEEP_RATE["first" if k < 2 else "steady"]
        if k < steady
        else LAPSE_KEEP_START - (LAPSE_KEEP_START - floor) * (k + 1 - steady) / lapse_n
        for k in range(shown)
    ]
    stopped = shown == n and days[-1] <= today
    if (today - signup).days < NEW_WITHIN_DAYS:
        segment = "new"
    elif stopped and (today - days[-1]).days > LAPSED_AFTER_DAYS:
        segment = "lapsed"
    elif past >= steady + 1:
        segment = "cooling"  # its lapse has begun: a widening gap, keeping less
    else:
        segment = "loyal"
    return _Life(days=days, keep_rate=keep_rate, stopped=stopped, segment=segment)


def _lives_draw(
    *, rng: np.random.Generator, clients: list[list], years: int, today: dt.date
) -> list[_Life]:
    """Draw every client's life (one block of uniform draws per client)."""
    draws = rng.random((len(clients), 8 + 16 * years))
    return [
        _life_draw(r=draws[i], signup=client[_C["signup_date"]], today=today)
        for i, client in enumerate(clients)
    ]


def _orders_build(
    *,
    rng: np.random.Generator,
    clients: list[list],
    lives: list[_Life],
    today: dt.date,
) -> list[list]:
    """Return the order rows of all clients (client external_id first).

    Also set each client row's order_count and last_order_at (the latest Fix that
    is not merely scheduled).
    """
    days_by_client = [life.days for life in lives]
    counts = np.array([len(days) for days in days_by_client], dtype=int)
    owner = np.repeat(np.arange(len(clients)), counts)
    m = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    is_last = np.arange(m) == starts + counts[owner] - 1
    keep_rate = np.fromiter(
        (rate for life in lives for rate in life.keep_rate), dtype=float, count=m
    )
    kept = rng.binomial(ITEMS_SENT, keep_rate)
    # The very last Fix of a lapse often comes back whole. The churn model then
    # has something true to learn.
    final = is_last & np.array([life.stopped for life in lives], dtype=bool)[owner]
    kept = np.where(final & (rng.random(m) < LAST_FIX_RETURNED), 0, kept)
    band = np.array([BUDGET_BANDS.index(c[_C["budget_band"]]) for c in clients])[owner]
    low = np.array([ITEM_PRICES[b][0] for b in BUDGET_BANDS])[band]
    high = np.array([ITEM_PRICES[b][1] for b in BUDGET_BANDS])[band]
    prices = low[:, None] + rng.random((m, ITEMS_SENT)) * (high - low)[:, None]
    totals = np.round(
        np.where(kept > 0, np.cumsum(prices, axis=1)[np.arange(m), kept - 1], 0), 2
    )
    picks = rng.random((m, len(ITEMS))).argsort(axis=1)[:, :ITEMS_SENT]
    hours = rng.integers(7, 22, size=m)
    ship_days = rng.integers(1, 4, size=m)
    canceled = (rng.random(m) < 0.04) & ~is_last
    rated = rng.random(m) < 0.7
    ratings = np.clip(np.rint(1.4 + 0.75 * kept + rng.normal(0, 0.7, size=m)), 1, 5)
    commented = rng.random(m) < 0.3
    comment_pick = rng.integers(2, size=m)

    week_ago = today - dt.timedelta(days=7)
    rows = []
    j = 0
    for i, days in enumerate(days_by_client):
        client = clients[i]
        tz = client[_C["time_zone"]]
        last_order_at = None
        for day in days:
            ordered_at = _at(day, int(hours[j]), tz)
            row = [
                client[_C["external_id"]],
                ordered_at,
                None,
                OrderStatus.SCHEDULED.value,
            ]
            row += [ITEMS_SENT, 0, "", ZERO, None, ""]
            if day <= today:
                last_order_at = ordered_at
                if canceled[j]:
                    row[3] = OrderStatus.CANCELED.value
                elif day > week_ago:
                    row[3] = OrderStatus.SHIPPED.value
                    row[2] = ordered_at + dt.timedelta(days=1)
                else:
                    k = int(kept[j])
                    row[2] = ordered_at + dt.timedelta(days=int(ship_days[j]))
                    row[3] = (OrderStatus.KEPT if k else OrderStatus.RETURNED).value
                    row[5] = k
                    row[6] = ", ".join(ITEMS[x] for x in picks[j, :k])
                    # The styling fee is credited towards kept items, charged
                    # when nothing is kept.
                    row[7] = max(Decimal(f"{totals[j]:.2f}"), STYLING_FEE)
                    if rated[j]:
                        row[8] = int(ratings[j])
                        if commented[j]:
                            row[9] = COMMENTS[row[8]][comment_pick[j]]
            rows.append(row)
            j += 1
        client[_C["order_count"]] = len(days)
        client[_C["last_order_at"]] = last_order_at
    return rows
