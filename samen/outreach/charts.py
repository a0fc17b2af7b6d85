"""Clicks per day and variant, as plain numbers the template draws as SVG (like impact/charts.py).

Drawn on the server: the page stays light and works without JavaScript, and the same numbers fill
a table for screen readers and for anyone who prefers figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 28

# At least 3:1 against white (WCAG 1.4.11) and distinct from each other; dashes tell them apart too.
COLOURS = ["#1a4fd6", "#8a4f00", "#0b6b3a", "#a4161a", "#5b2a86", "#005f73"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3"]


@dataclass
class Line:
    label: str
    colour: str
    dash: str
    points: str  # "x,y x,y …" for <polyline>
    values: list[int]
    total: int


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Chart:
    lines: list[Line]
    ticks: list[Tick]
    days: list[date]
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    baseline: float = HEIGHT - BOTTOM

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """(day, [value per line]) for the table beside the chart."""
        return [
            (date_format(day, "DATE_FORMAT"), [line.values[n] for line in self.lines])
            for n, day in enumerate(self.days)
        ]


def daily_chart(days: list[date], series: list[tuple[str, list[int]]]) -> Chart:
    peak = max((max(values, default=0) for _label, values in series), default=0)
    scale = max(peak, 1)
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(days) - 1, 1)
    lines = []
    for n, (label, values) in enumerate(series):
        points = " ".join(
            f"{round(LEFT + i * step, 1)},{round(HEIGHT - BOTTOM - plot_height * value / scale, 1)}"
            for i, value in enumerate(values)
        )
        lines.append(
            Line(label, COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)], points, values, sum(values))
        )
    every = max(len(days) // 6, 1)
    ticks = [
        Tick(round(LEFT + i * step, 1), date_format(day, "j M"))
        for i, day in enumerate(days)
        if i % every == 0 or i == len(days) - 1
    ]
    return Chart(lines=lines, ticks=ticks, days=days, peak=peak)
