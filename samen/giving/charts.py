"""Server-side geometry for ranking bars (the leaderboards): plain numbers the template draws as SVG.

Like impact.charts, the numbers also fill a table beside the picture, so screen readers and
anyone who prefers numbers have them.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
ROW = 28
LABEL = 200  # room for the names on the left
COLOUR = "#0b6b3a"  # the ledger's money colour, 3:1 or more against white


@dataclass
class Bar:
    label: str
    value: int
    y: int
    width: float
    text_y: int


@dataclass
class Ranking:
    bars: list[Bar]
    width: int = WIDTH
    label_width: int = LABEL
    colour: str = COLOUR

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW

    @property
    def is_empty(self) -> bool:
        return not self.bars


def ranking(items: list[tuple[str, int]]) -> Ranking:
    peak = max((value for _label, value in items), default=0) or 1
    room = WIDTH - LABEL - 8
    bars = [
        Bar(
            label=label if len(label) <= 28 else label[:27] + "…",
            value=value,
            y=i * ROW + 4,
            width=round(room * max(value, 0) / peak, 1),
            text_y=i * ROW + 19,
        )
        for i, (label, value) in enumerate(items)
    ]
    return Ranking(bars)
