"""'My 1%': a member's pledge against what the ledger says they gave, month by month.

The figures come from impact.ledger.monthly_for_member (the one ledger); the chart geometry reuses
impact.charts' canvas so both charts look alike, and draws hours per month against the pledge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import date_format

from samen.impact import charts, ledger


@dataclass
class MonthProgress:
    month: ledger.Month
    label: str
    long_label: str
    minutes: int
    amount_minor: int
    knowledge: int
    time_percent: int | None
    money_percent: int | None
    knowledge_percent: int | None
    # geometry
    x: float = 0.0
    width: float = 0.0
    y: float = 0.0
    height: float = 0.0
    label_x: float = 0.0


@dataclass
class Progress:
    months: list[MonthProgress]
    pledge_minutes: int
    pledge_y: float | None
    peak_minutes: int
    width: int = charts.WIDTH
    height: int = charts.HEIGHT
    left: int = charts.LEFT
    top: int = charts.TOP
    baseline: float = charts.HEIGHT - charts.BOTTOM

    @property
    def total_minutes(self) -> int:
        return sum(m.minutes for m in self.months)


def _percent(value: int, target: int) -> int | None:
    return round(100 * value / target) if target else None


def progress_for(member, pledge, *, months: int = 12, now=None) -> Progress:
    rows = ledger.monthly_for_member(member, months=months, now=now)
    pledge_minutes = pledge.minutes_per_month if pledge else 0
    currency = pledge.currency if pledge else ""
    peak = max([m.minutes for m in rows] + [pledge_minutes, 1])
    plot_height = charts.HEIGHT - charts.TOP - charts.BOTTOM
    slot = (charts.WIDTH - charts.LEFT - charts.RIGHT) / max(len(rows), 1)
    bar_width = slot * 0.7
    out = []
    for i, month in enumerate(rows):
        amount = month.amounts.get(currency, 0) if currency else 0
        height = plot_height * month.minutes / peak
        x = charts.LEFT + i * slot + (slot - bar_width) / 2
        out.append(
            MonthProgress(
                month=month,
                label=date_format(month.start, "M"),
                long_label=date_format(month.start, "YEAR_MONTH_FORMAT"),
                minutes=month.minutes,
                amount_minor=amount,
                knowledge=month.knowledge,
                time_percent=_percent(month.minutes, pledge_minutes),
                money_percent=_percent(amount, pledge.amount_minor_per_month if pledge else 0),
                knowledge_percent=_percent(
                    month.knowledge, pledge.knowledge_items_per_month if pledge else 0
                ),
                x=round(x, 1),
                width=round(bar_width, 1),
                y=round(charts.HEIGHT - charts.BOTTOM - height, 1),
                height=round(height, 1),
                label_x=round(x + bar_width / 2, 1),
            )
        )
    pledge_y = (
        round(charts.HEIGHT - charts.BOTTOM - plot_height * pledge_minutes / peak, 1)
        if pledge_minutes
        else None
    )
    return Progress(out, pledge_minutes, pledge_y, peak)
