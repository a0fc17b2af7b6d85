"""The one ledger of what people give. Feature apps write through `record()` and read totals here.

The ledger stores what it is told: it checks that a line makes sense on its own (money has an
amount and a currency, time has minutes, knowledge says what was shared), not where it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from samen.impact.models import Contribution

Kind = Contribution.Kind
_CURRENCY = re.compile(r"[A-Z]{3}")


def record(
    *,
    kind: str,
    initiative,
    source: str,
    source_ref: str,
    member=None,
    amount_minor: int = 0,
    currency: str = "",
    minutes: int = 0,
    description: str = "",
    occurred_at: datetime | None = None,
) -> tuple[Contribution, bool]:
    """Add one line to the ledger; returns (contribution, created).

    `source` names the feature ("giving.donation") and `source_ref` the thing within it (a pk);
    recording the same pair again returns the existing line unchanged. Raises ValueError for a
    line that makes no sense.
    """
    currency = (currency or "").strip().upper()
    description = (description or "").strip()
    source_ref = str(source_ref)
    _validate(kind, source, source_ref, amount_minor, currency, minutes, description, occurred_at)
    defaults = {
        "kind": kind,
        "initiative": initiative,
        "member": member,
        "amount_minor": amount_minor,
        "currency": currency,
        "minutes": minutes,
        "description": description,
        "occurred_at": occurred_at or timezone.now(),
    }
    try:
        # A savepoint, so losing a race to record the same line leaves the caller's transaction usable.
        with transaction.atomic():
            return Contribution.objects.get_or_create(source=source, source_ref=source_ref, defaults=defaults)
    except IntegrityError:
        return Contribution.objects.get(source=source, source_ref=source_ref), False


def record_reversal(
    *,
    source: str,
    source_ref: str,
    reversal_ref: str,
    description: str = "",
    occurred_at: datetime | None = None,
) -> tuple[Contribution | None, bool]:
    """Take a money line back (a refund); returns (reversing line, created), or (None, False).

    The reversing line copies the member, initiative and currency with the amount negated, so
    every total drops back while both lines stay readable. It is recorded under (source,
    reversal_ref), and a line can be reversed only once, so calling this twice changes nothing.
    Returns (None, False) when there is no such line to reverse.
    """
    reversal_ref = str(reversal_ref)
    description = (description or "").strip()
    _validate_source(source, reversal_ref, description, occurred_at)
    original = Contribution.objects.filter(source=source, source_ref=str(source_ref)).first()
    if original is None:
        return None, False
    if original.kind != Kind.MONEY or original.reverses_id is not None:
        raise ValueError("only a money line can be reversed, and a reversal cannot be reversed again")
    defaults = {
        "kind": Kind.MONEY,
        "initiative_id": original.initiative_id,
        "member_id": original.member_id,
        "amount_minor": -original.amount_minor,
        "currency": original.currency,
        "description": description,
        "reverses": original,
        "occurred_at": occurred_at or timezone.now(),
    }
    try:
        with transaction.atomic():
            return Contribution.objects.get_or_create(
                source=source, source_ref=reversal_ref, defaults=defaults
            )
    except IntegrityError:
        # Lost a race: the line is reversed already (under this ref, or under another one).
        line = Contribution.objects.filter(source=source, source_ref=reversal_ref).first()
        return line or Contribution.objects.get(reverses=original), False


def _max_length(field: str) -> int:
    return int(getattr(Contribution._meta.get_field(field), "max_length", 0) or 0)


def _validate(kind, source, source_ref, amount_minor, currency, minutes, description, occurred_at) -> None:
    if kind not in Kind.values:
        raise ValueError(f"unknown contribution kind {kind!r}; expected one of {', '.join(Kind.values)}")
    _validate_source(source, source_ref, description, occurred_at)
    if not isinstance(amount_minor, int) or not isinstance(minutes, int):
        # Floats creep in from arithmetic on money; refuse them rather than round silently.
        raise ValueError("amount_minor and minutes must be whole numbers")
    if kind == Kind.MONEY:
        if amount_minor <= 0:
            raise ValueError(
                "a money contribution needs an amount greater than 0 (in minor units, e.g. cents)"
            )
        if not _CURRENCY.fullmatch(currency):
            raise ValueError(
                f"a money contribution needs a 3-letter ISO 4217 currency code, got {currency!r}"
            )
    elif amount_minor or currency:
        raise ValueError("only money contributions carry an amount and a currency")
    if kind == Kind.TIME:
        if minutes <= 0:
            raise ValueError("a time contribution needs minutes greater than 0")
    elif minutes:
        raise ValueError("only time contributions carry minutes")
    if kind == Kind.KNOWLEDGE and not description:
        raise ValueError("a knowledge contribution needs a description of what was shared")


def _validate_source(source, source_ref, description, occurred_at) -> None:
    if not source or not source_ref:
        raise ValueError(
            "a contribution needs a source and a source_ref, so that recording it twice is harmless"
        )
    if len(source) > _max_length("source"):
        raise ValueError(f"source {source!r} is too long")
    if len(source_ref) > _max_length("source_ref"):
        raise ValueError(f"source_ref {source_ref!r} is too long")
    if len(description) > _max_length("description"):
        raise ValueError("the description is longer than 300 characters")
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be timezone-aware")


@dataclass
class Totals:
    money: dict[str, int] = field(default_factory=dict)  # currency → minor units, sorted by currency
    minutes: int = 0
    knowledge: int = 0  # number of knowledge items
    people: int = 0  # distinct members who gave anything
    volunteers: int = 0  # distinct members who gave time
    lines: int = 0

    @property
    def is_empty(self) -> bool:
        return self.lines == 0


def _totals(lines) -> Totals:
    """Two aggregate queries, whatever the number of lines."""
    row = lines.aggregate(
        minutes=Sum("minutes", filter=Q(kind=Kind.TIME), default=0),
        knowledge=Count("id", filter=Q(kind=Kind.KNOWLEDGE)),
        people=Count("member", distinct=True),
        volunteers=Count("member", distinct=True, filter=Q(kind=Kind.TIME)),
        lines=Count("id"),
    )
    money = {
        item["currency"]: item["total"]
        for item in lines.filter(kind=Kind.MONEY)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    }
    return Totals(money=money, **row)


def totals_for_member(member) -> Totals:
    return _totals(Contribution.objects.filter(member=member))


def totals_for_initiative(initiative) -> Totals:
    return _totals(Contribution.objects.filter(initiative=initiative))


@dataclass
class Month:
    start: date
    money: int = 0  # number of lines of each kind, for the chart
    time: int = 0
    knowledge: int = 0
    minutes: int = 0
    amounts: dict[str, int] = field(default_factory=dict)  # currency → minor units

    @property
    def count(self) -> int:
        return self.money + self.time + self.knowledge


def _month_starts(months: int, now: datetime) -> list[date]:
    local = timezone.localtime(now)
    year, month = local.year, local.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def monthly_for_member(member, *, months: int = 12, now: datetime | None = None) -> list[Month]:
    """The last `months` calendar months (in the current time zone), oldest first, empty ones included.

    Two grouped queries: counts and minutes per month and kind, then money per month and currency.
    """
    starts = _month_starts(months, now or timezone.now())
    first = timezone.make_aware(datetime(starts[0].year, starts[0].month, 1))
    by_month = {start: Month(start) for start in starts}
    lines = Contribution.objects.filter(member=member, occurred_at__gte=first).annotate(
        month=TruncMonth("occurred_at", tzinfo=timezone.get_current_timezone())
    )
    # A refund is not a contribution of its own: it lowers the month's money, not its count.
    given = lines.filter(reverses__isnull=True)
    for row in given.values("month", "kind").annotate(n=Count("id"), minutes=Sum("minutes")).order_by():
        month = by_month.get(_as_date(row["month"]))
        if month is None:  # a line dated in the future
            continue
        setattr(month, row["kind"], row["n"])
        if row["kind"] == Kind.TIME:
            month.minutes = row["minutes"] or 0
    money = lines.filter(kind=Kind.MONEY).values("month", "currency").annotate(total=Sum("amount_minor"))
    for money_row in money.order_by("currency"):
        month = by_month.get(_as_date(money_row["month"]))
        if month is not None:
            month.amounts[money_row["currency"]] = money_row["total"]
    return [by_month[start] for start in starts]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value
