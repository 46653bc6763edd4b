"""Seed a realistic, deterministic demo client book: stylists, clients, Fixes.

Everything is drawn from one ``numpy.random.Generator(seed)`` in a fixed order, so
the same ``clients``, ``seed``, ``stylists``, ``years`` and ``today`` give identical
names, emails, orders and amounts. Dates are anchored on ``today`` (the local date by
default) so the demo always looks current; pass ``today`` to pin them.

Clients fall into four segments the scoring should tell apart:

- loyal: a Fix every one to two months, up to a scheduled next one;
- cooling: gaps widening over the last months, fewer items kept;
- lapsed: regular once, nothing for six to eighteen months;
- new: signed up in the last three months, one or two Fixes.

Demo rows are recognisable for ``demo_data_delete``: clients have an ``external_id``
starting with ``demo-`` and stylists an email at ``DEMO_STYLIST_DOMAIN``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from customers.models import BudgetBand, Client, Order, OrderStatus, Style
from customers.roles import STYLISTS

DEMO_EXTERNAL_ID_PREFIX = "demo-"
DEMO_CLIENT_DOMAIN = "example.com"
DEMO_STYLIST_DOMAIN = "stylists.example.com"
ITEMS_SENT = 5
STYLING_FEE = Decimal("20.00")

SEGMENTS = ("loyal", "cooling", "lapsed", "new")
SEGMENT_WEIGHTS = (0.35, 0.20, 0.30, 0.15)
# Probability that a sent item is kept, per segment.
KEEP_RATE = {"loyal": 0.55, "cooling": 0.35, "lapsed": 0.30, "new": 0.45}

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
    rng = np.random.default_rng(seed)

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
        stylist_users = _stylists_create(rng=rng, count=stylists)
        client_rows, segments = _clients_build(
            rng=rng,
            count=clients,
            stylist_ids=[user.pk for user in stylist_users],
            years=years,
            today=today,
        )
        orders_by_client = [
            _orders_build(rng=rng, client=client, segment=segment, today=today)
            for client, segment in zip(client_rows, segments, strict=True)
        ]
        for client, orders in zip(client_rows, orders_by_client, strict=True):
            client.order_count = len(orders)
            client.last_order_at = max(
                (o.ordered_at for o in orders if o.status != OrderStatus.SCHEDULED),
                default=None,
            )
        Client.objects.bulk_create(client_rows, batch_size=2000)
        all_orders = []
        for client, orders in zip(client_rows, orders_by_client, strict=True):
            for order in orders:
                order.client_id = client.pk
            all_orders.extend(orders)
        Order.objects.bulk_create(all_orders, batch_size=5000)

    names, counts = np.unique(segments, return_counts=True)
    return SeedSummary(
        stylists=len(stylist_users),
        clients=len(client_rows),
        orders=len(all_orders),
        segments=dict(zip(names.tolist(), counts.tolist(), strict=True)),
    )


def _stylists_create(*, rng: np.random.Generator, count: int) -> list:
    user_model = get_user_model()
    firsts = rng.choice(FIRST_NAMES[:50], size=count, replace=count > 50)
    lasts = rng.choice(LAST_NAMES, size=count, replace=count > len(LAST_NAMES))
    users = []
    for i, (first, last) in enumerate(zip(firsts, lasts, strict=True), start=1):
        username = f"{first.lower()}.{last.lower()}"
        if count > 50:
            username += str(i)
        user = user_model(
            username=username,
            first_name=str(first),
            last_name=str(last),
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


def _clients_build(
    *,
    rng: np.random.Generator,
    count: int,
    stylist_ids: list[int],
    years: int,
    today: dt.date,
) -> tuple[list[Client], np.ndarray]:
    """Draw every client attribute as a column, then assemble the model objects."""
    segments = rng.choice(SEGMENTS, size=count, p=SEGMENT_WEIGHTS)
    firsts = rng.choice(FIRST_NAMES, size=count)
    lasts = rng.choice(LAST_NAMES, size=count)
    cities = rng.integers(len(CITIES), size=count)
    phones = rng.integers(100, 10_000, size=count)
    stylist_idx = rng.integers(len(stylist_ids), size=count)
    budgets = rng.choice(len(BUDGET_BANDS), size=count, p=BUDGET_WEIGHTS)
    n_styles = rng.integers(1, 4, size=count)
    style_order = rng.permuted(
        np.tile(np.arange(len(STYLE_VALUES)), (count, 1)), axis=1
    )
    tops = rng.integers(len(SIZES_TOP), size=count)
    bottoms = rng.integers(len(SIZES_BOTTOM), size=count)
    shoes = rng.integers(len(SIZES_SHOE), size=count)
    consent = rng.random(count) < 0.8
    unsubscribed = ~consent & (rng.random(count) < 0.4)
    unsubscribed_days = rng.integers(1, 365, size=count)
    has_note = rng.random(count) < 0.15
    notes = rng.integers(len(NOTES), size=count)

    history_days = years * 365
    # New clients joined in the last 90 days; the others early enough to have a
    # history: at least 8 months before today, lapsed ones at least 14.
    signup_ago = np.where(
        segments == "new",
        rng.integers(5, 90, size=count),
        np.where(
            segments == "lapsed",
            rng.integers(min(420, history_days - 1), history_days, size=count),
            rng.integers(min(240, history_days - 1), history_days, size=count),
        ),
    )

    rows = []
    for i in range(count):
        first, last = str(firsts[i]), str(lasts[i])
        city, tz, area = CITIES[cities[i]]
        signup = today - dt.timedelta(days=int(signup_ago[i]))
        rows.append(
            Client(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}{i + 1}@{DEMO_CLIENT_DOMAIN}",
                phone=f"({area}) 555-{int(phones[i]):04d}",
                city=city,
                time_zone=tz,
                signup_date=signup,
                external_id=f"{DEMO_EXTERNAL_ID_PREFIX}{i + 1:07d}",
                stylist_id=stylist_ids[stylist_idx[i]],
                preferred_styles=[
                    STYLE_VALUES[s] for s in sorted(style_order[i, : n_styles[i]])
                ],
                size_top=SIZES_TOP[tops[i]],
                size_bottom=SIZES_BOTTOM[bottoms[i]],
                size_shoe=SIZES_SHOE[shoes[i]],
                budget_band=BUDGET_BANDS[budgets[i]],
                marketing_consent=bool(consent[i]),
                unsubscribed_at=(
                    _at(
                        today - dt.timedelta(days=int(unsubscribed_days[i])),
                        10,
                        tz,
                    )
                    if unsubscribed[i]
                    else None
                ),
                stylist_notes=NOTES[notes[i]] if has_note[i] else "",
            )
        )
    return rows, segments


def _at(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(tz))


def _order_days(
    *, rng: np.random.Generator, segment: str, signup: dt.date, today: dt.date
) -> list[dt.date]:
    """Return the days of a client's Fixes, the last possibly in the future."""
    first = signup + dt.timedelta(days=int(rng.integers(1, 15)))
    days = [first]
    if segment == "new":
        if rng.random() < 0.6:
            days.append(first + dt.timedelta(days=int(rng.integers(28, 50))))
        return days
    if segment == "loyal":
        while days[-1] <= today:
            days.append(days[-1] + dt.timedelta(days=int(rng.integers(30, 62))))
        return days
    if segment == "lapsed":
        stop = today - dt.timedelta(days=int(rng.integers(183, 548)))
        while True:
            nxt = days[-1] + dt.timedelta(days=int(rng.integers(30, 76)))
            if nxt > stop:
                return days
            days.append(nxt)
    # Cooling: monthly at first, then each gap longer than the one before, the
    # last Fix two to five months ago. Built backwards from the last Fix.
    last = today - dt.timedelta(days=int(rng.integers(60, 150)))
    gap = float(rng.integers(80, 120))
    later: list[dt.date] = [last]
    while True:
        prev = later[-1] - dt.timedelta(days=int(gap))
        if prev <= first + dt.timedelta(days=14):
            break
        later.append(prev)
        gap = max(gap / float(rng.uniform(1.25, 1.5)), 35.0)
    return [first, *reversed(later)]


def _orders_build(
    *, rng: np.random.Generator, client: Client, segment: str, today: dt.date
) -> list[Order]:
    days = _order_days(rng=rng, segment=segment, signup=client.signup_date, today=today)
    n = len(days)
    keep_rate = np.full(n, KEEP_RATE[segment])
    if segment == "cooling":
        keep_rate = np.linspace(0.5, 0.2, n)
    kept = rng.binomial(ITEMS_SENT, keep_rate)
    low, high = ITEM_PRICES[client.budget_band]
    prices = rng.uniform(low, high, size=(n, ITEMS_SENT))
    item_picks = rng.permuted(np.tile(np.arange(len(ITEMS)), (n, 1)), axis=1)
    hours = rng.integers(7, 22, size=n)
    ship_days = rng.integers(1, 4, size=n)
    canceled = rng.random(n) < 0.04
    rated = rng.random(n) < 0.7
    rating_noise = rng.normal(0, 0.7, size=n)
    commented = rng.random(n) < 0.3
    comment_pick = rng.integers(2, size=n)

    orders = []
    for j, day in enumerate(days):
        ordered_at = _at(day, int(hours[j]), client.time_zone)
        order = Order(
            ordered_at=ordered_at,
            items_sent=ITEMS_SENT,
            items_kept=0,
            amount=Decimal("0.00"),
        )
        if day > today:
            order.status = OrderStatus.SCHEDULED
        elif canceled[j] and j < n - 1:
            order.status = OrderStatus.CANCELED
        elif day > today - dt.timedelta(days=7):
            order.status = OrderStatus.SHIPPED
            order.shipped_at = ordered_at + dt.timedelta(days=1)
        else:
            k = int(kept[j])
            order.shipped_at = ordered_at + dt.timedelta(days=int(ship_days[j]))
            order.items_kept = k
            order.status = OrderStatus.KEPT if k else OrderStatus.RETURNED
            order.kept_items = ", ".join(ITEMS[x] for x in item_picks[j, :k])
            total = Decimal(str(round(float(prices[j, :k].sum()), 2)))
            # The styling fee is credited towards kept items, charged otherwise.
            order.amount = max(total, STYLING_FEE).quantize(Decimal("0.01"))
            if rated[j]:
                rating = int(np.clip(round(1.4 + 0.75 * k + rating_noise[j]), 1, 5))
                order.rating = rating
                if commented[j]:
                    order.feedback_comment = COMMENTS[rating][comment_pick[j]]
        orders.append(order)
    return orders
