"""Server-side geometry for the month-by-month chart: plain numbers the template draws as SVG.

Drawing on the server keeps the page light and working without JavaScript; the same numbers
also fill the table that screen readers (and anyone who prefers numbers) use instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from samen.impact.ledger import Month

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 12, 28  # room for the axis labels

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), and distinct from each other.
SERIES = [
    ("time", _("Time"), "#1a4fd6"),
    ("knowledge", _("Knowledge"), "#8a4f00"),
    ("money", _("Money"), "#0b6b3a"),
]


@dataclass
class Segment:
    kind: str
    label: str
    colour: str
    count: int
    y: float
    height: float


@dataclass
class Bar:
    month: Month
    label: str  # short month name under the bar
    long_label: str  # "March 2026", for tooltips
    x: float
    width: float
    label_x: float
    segments: list[Segment]


@dataclass
class Chart:
    bars: list[Bar]
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    top: int = TOP
    series: tuple = tuple(SERIES)

    @property
    def total(self) -> int:
        return sum(bar.month.count for bar in self.bars)


def monthly_chart(months: list[Month]) -> Chart:
    peak = max((m.count for m in months), default=0)
    scale_max = max(peak, 1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    bar_width = slot * 0.7
    bars = []
    for i, month in enumerate(months):
        x = LEFT + i * slot + (slot - bar_width) / 2
        y = float(HEIGHT - BOTTOM)
        segments = []
        for kind, label, colour in SERIES:
            count = getattr(month, kind)
            if not count:
                continue
            height = plot_height * count / scale_max
            y -= height
            segments.append(Segment(kind, str(label), colour, count, round(y, 1), round(height, 1)))
        bars.append(
            Bar(
                month=month,
                label=date_format(month.start, "M"),
                long_label=date_format(month.start, "YEAR_MONTH_FORMAT"),
                x=round(x, 1),
                width=round(bar_width, 1),
                label_x=round(x + bar_width / 2, 1),
                segments=segments,
            )
        )
    return Chart(bars=bars, peak=peak)
