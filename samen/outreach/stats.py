"""The numbers on the dashboards, read from DailyCount (clicks, new visitors) and Conversion.

Clicks and unique visitors come from the pre-aggregated daily counts, so a message with a million
touches costs a few hundred summary rows. Conversions are few and grouped directly, through the
first or the last touch that led to them (the `model` argument).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from samen.core.cache import fragments

from .models import CHANNEL_CHOICES, KIND_CHOICES, Conversion, DailyCount, Message

KINDS = [kind for kind, _label in KIND_CHOICES]
KIND_LABELS = dict(KIND_CHOICES)
CHANNEL_LABELS = dict(CHANNEL_CHOICES)
MODELS = ("last", "first")
SIGNIFICANCE = 0.05


@dataclass
class Row:
    """One line of a dashboard table: a variant, a channel, a promoter or a day."""

    key: tuple
    label: str
    clicks: int = 0
    visitors: int = 0
    converters: int = 0
    conversions: dict[str, int] = field(default_factory=dict)
    money: dict[str, int] = field(default_factory=dict)
    minutes: int = 0

    @property
    def conversion_count(self) -> int:
        return sum(self.conversions.values())

    @property
    def rate(self) -> float | None:
        """Share of unique visitors who converted at least once, or None without visitors."""
        return self.converters / self.visitors if self.visitors else None

    @property
    def rate_percent(self) -> str:
        """In the language of the page: 12.5% in English, 12,5% in Dutch."""
        if self.rate is None:
            return "–"
        return f"{number_format(self.rate * 100, decimal_pos=1, use_l10n=True)}%"

    def by_kind(self) -> list[tuple[str, int]]:
        return [(kind, self.conversions.get(kind, 0)) for kind in KINDS]

    def money_items(self) -> list[tuple[str, int]]:
        return sorted(self.money.items())


def _prefix(model: str) -> str:
    return "first_" if model == "first" else ""


def _conversions(message: Message, model: str):
    field_name = "first_message" if model == "first" else "message"
    return Conversion.objects.filter(**{field_name: message})


class Cube:
    """A message's figures by (variant, channel, promoter), read in three queries.

    Every dashboard table (per variant, per channel, per promoter, per variant and channel) is a
    sum over this cube, so the page costs the same few queries however many tables it shows.
    """

    DIMENSIONS = ("variant", "channel", "promoter")
    GROUPINGS = (("variant",), ("channel",), ("promoter",), ("variant", "channel"))

    def __init__(self, message: Message, *, model: str = "last", goal: str = ""):
        prefix = _prefix(model)
        names = [f"{prefix}{name}" for name in self.DIMENSIONS]
        self.counts = list(
            DailyCount.objects.filter(message=message)
            .values(*self.DIMENSIONS)
            .annotate(clicks=Sum("clicks"), visitors=Sum("visitors"))
            .order_by()
        )
        conversions = _conversions(message, model)
        converting = conversions.filter(kind=goal) if goal else conversions
        # Conversions are grouped once per change: the key holds the newest conversion and the
        # count, read from the message index, so a new or deleted conversion is seen at once.
        version = conversions.aggregate(last=Max("id"), n=Count("id"))
        key = f"outreach:cube:{message.pk}:{model}:{goal}:{version['last']}:{version['n']}"
        cached = fragments.get(key)
        if cached is None:
            cached = {
                "conversions": [
                    {**item, **{name: item[f"{prefix}{name}"] for name in self.DIMENSIONS}}
                    for item in conversions.values(*names, "kind", "currency")
                    .annotate(n=Count("id"), amount=Sum("amount_minor"), minutes=Sum("minutes"))
                    .order_by()
                ],
                "converting": {
                    fields: [
                        (tuple(item[f"{prefix}{name}"] for name in fields), item["people"])
                        for item in converting.values(*(f"{prefix}{name}" for name in fields))
                        .annotate(people=Count(f"{prefix}visitor", distinct=True))
                        .order_by()
                    ]
                    for fields in self.GROUPINGS
                },
            }
            fragments.set(key, cached, 3600)
        self.conversions = cached["conversions"]
        self.converting = cached["converting"]

    def rows(self, *fields: str, label_of=None) -> list[Row]:
        rows: dict = {}

        def row_for(item) -> Row:
            key = tuple(item[name] for name in fields)
            if key not in rows:
                rows[key] = Row(key, label_of(key) if label_of else " · ".join(str(part) for part in key))
            return rows[key]

        for item in self.counts:
            row = row_for(item)
            row.clicks += item["clicks"] or 0
            row.visitors += item["visitors"] or 0
        for item in self.conversions:
            row = row_for(item)
            row.conversions[item["kind"]] = row.conversions.get(item["kind"], 0) + item["n"]
            if item["amount"] and item["currency"]:
                row.money[item["currency"]] = row.money.get(item["currency"], 0) + item["amount"]
            row.minutes += item["minutes"] or 0
        # Who converted: a visitor counts once per row, however often they converted.
        for key, people in self.converting.get(tuple(fields), []):
            if key in rows:
                rows[key].converters = people
        return sorted(rows.values(), key=lambda row: tuple((part is None, str(part)) for part in row.key))


def grouped(message: Message, *fields: str, model: str = "last", goal: str = "", label_of=None) -> list[Row]:
    """Rows per value of `fields` ("variant", "channel", "promoter"); keys are tuples."""
    return Cube(message, model=model, goal=goal).rows(*fields, label_of=label_of)


@dataclass
class Comparison:
    """A two-proportion z-test between two variants, in plain words."""

    a: Row
    b: Row
    z: float | None
    p_value: float | None
    winner: Row | None
    explanation: str


def z_test(a: Row, b: Row) -> Comparison:
    n1, n2 = a.visitors, b.visitors
    x1, x2 = min(a.converters, n1), min(b.converters, n2)
    if not n1 or not n2:
        return Comparison(
            a, b, None, None, None, _("Both variants need visitors before they can be compared.")
        )
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return Comparison(
            a,
            b,
            None,
            None,
            None,
            _("Neither variant has a conversion yet (or both convert everyone): no difference to test."),
        )
    z = (x1 / n1 - x2 / n2) / spread
    p_value = math.erfc(abs(z) / math.sqrt(2))
    better, worse = (a, b) if x1 / n1 >= x2 / n2 else (b, a)
    if p_value < SIGNIFICANCE:
        text = _(
            "Variant %(better)s converts %(better_rate)s of its visitors and variant %(worse)s %(worse_rate)s. "
            "A difference this large would happen by chance less than %(chance)s of the time "
            "(two-proportion z-test, p = %(p)s), so variant %(better)s is very likely the better message."
        ) % {
            "better": better.label,
            "worse": worse.label,
            "better_rate": better.rate_percent,
            "worse_rate": worse.rate_percent,
            "chance": "5%",
            "p": f"{p_value:.3f}",
        }
        return Comparison(a, b, z, p_value, better, text)
    text = _(
        "Variant %(better)s converts %(better_rate)s of its visitors and variant %(worse)s %(worse_rate)s, "
        "but a difference like this could easily be chance (two-proportion z-test, p = %(p)s). "
        "There is no winner yet: keep both running until more people have seen them."
    ) % {
        "better": better.label,
        "worse": worse.label,
        "better_rate": better.rate_percent,
        "worse_rate": worse.rate_percent,
        "p": f"{p_value:.3f}",
    }
    return Comparison(a, b, z, p_value, None, text)


def daily(message: Message, *, days: int = 30, today: date | None = None) -> tuple[list[date], dict]:
    """Clicks per day and variant over the last `days` days: (days, {variant_id: [clicks…]})."""
    today = today or timezone.now().date()
    start = today - timedelta(days=days - 1)
    axis = [start + timedelta(days=n) for n in range(days)]
    series: dict = defaultdict(lambda: [0] * days)
    for item in (
        DailyCount.objects.filter(message=message, day__gte=start, day__lte=today)
        .values("day", "variant_id")
        .annotate(clicks=Sum("clicks"))
        .order_by()
    ):
        series[item["variant_id"]][(item["day"] - start).days] = item["clicks"]
    return axis, dict(series)


def summary(message_ids: list[int]) -> dict:
    """Per message: clicks and visitors (daily counts) and conversions (last touch)."""
    counts = {
        item["message_id"]: item
        for item in DailyCount.objects.filter(message__in=message_ids)
        .values("message_id")
        .annotate(clicks=Sum("clicks"), visitors=Sum("visitors"))
        .order_by()
    }
    conversions = dict(
        Conversion.objects.filter(message__in=message_ids)
        .values("message_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("message_id", "n")
    )
    return {"counts": counts, "conversions": conversions}


def version(message: Message) -> str:
    """Changes whenever a figure of the message does: clicks, visitors, conversions (either model)."""
    counts = DailyCount.objects.filter(message=message).aggregate(
        clicks=Sum("clicks"), visitors=Sum("visitors")
    )
    last = Conversion.objects.filter(message=message).aggregate(top=Max("id"), n=Count("id"))
    first = Conversion.objects.filter(first_message=message).aggregate(top=Max("id"), n=Count("id"))
    return f"{counts['clicks']}:{counts['visitors']}:{last['top']}:{last['n']}:{first['top']}:{first['n']}"
