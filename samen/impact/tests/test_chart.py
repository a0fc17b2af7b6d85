from datetime import date

from samen.impact.charts import HEIGHT, TOP, monthly_chart
from samen.impact.ledger import Month


def test_bars_are_stacked_by_kind_and_scaled_to_the_busiest_month():
    months = [
        Month(date(2026, 1, 1), time=2, money=2),
        Month(date(2026, 2, 1)),
        Month(date(2026, 3, 1), knowledge=1),
    ]
    chart = monthly_chart(months)
    assert chart.peak == 4
    assert chart.total == 5
    busy, empty, quiet = chart.bars
    assert [s.kind for s in busy.segments] == ["time", "money"]
    # The busiest month reaches the top of the plot; segments sit on each other.
    assert busy.segments[-1].y == TOP
    time, money = busy.segments
    assert money.y + money.height == time.y
    assert empty.segments == []
    assert quiet.segments[0].height == time.height / 2
    assert busy.x < empty.x < quiet.x


def test_an_empty_year_draws_no_bars_but_keeps_the_months():
    chart = monthly_chart([Month(date(2026, m, 1)) for m in range(1, 13)])
    assert chart.peak == 0
    assert len(chart.bars) == 12
    assert all(bar.segments == [] for bar in chart.bars)
    assert chart.baseline == HEIGHT - 28
