"""Server-side geometry for ranking bars (the leaderboards) and progress bars: plain numbers the
templates draw as SVG (attributes only, no inline styles, no script).

Like impact.charts, the numbers also fill a table beside the picture or a sentence above it, so
screen readers and anyone who prefers numbers have them. Received money is drawn solid, promised
money (pledges not yet paid) hatched and outlined after it: the difference is in the shape as
well as the colour, and the legend says it in words.
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
    promised: int = 0
    promised_width: float = 0.0

    @property
    def promised_x(self) -> float:
        return LABEL + self.width


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


def ranking(items: list[tuple[str, int, int]]) -> Ranking:
    """Bars of (label, received, promised), scaled to the largest total."""
    peak = max((received + promised for _label, received, promised in items), default=0) or 1
    room = WIDTH - LABEL - 8
    bars = [
        Bar(
            label=label if len(label) <= 28 else label[:27] + "…",
            value=received,
            y=i * ROW + 4,
            width=round(room * max(received, 0) / peak, 1),
            text_y=i * ROW + 19,
            promised=promised,
            promised_width=round(room * max(promised, 0) / peak, 1),
        )
        for i, (label, received, promised) in enumerate(items)
    ]
    return Ranking(bars)


PROGRESS_WIDTH = 1000


@dataclass
class Progress:
    """A progress bar toward a target: received solid from the left, promised hatched after it."""

    received: int
    promised: int
    target: int
    received_width: float
    promised_width: float
    width: int = PROGRESS_WIDTH
    colour: str = COLOUR

    @property
    def promised_x(self) -> float:
        return self.received_width

    @property
    def percent(self) -> int:
        """Whole percent of the target reached, received and promised together."""
        return (self.received + self.promised) * 100 // self.target if self.target > 0 else 0


def progress(received: int, promised: int, target: int) -> Progress:
    """Widths in a 1000-wide box; what is beyond the target is not drawn (the text says it)."""
    received, promised = max(received, 0), max(promised, 0)
    scale = PROGRESS_WIDTH / target if target > 0 else 0
    received_width = min(PROGRESS_WIDTH, round(received * scale, 1))
    promised_width = min(PROGRESS_WIDTH - received_width, round(promised * scale, 1))
    return Progress(received, promised, target, received_width, promised_width)
