from datetime import UTC, datetime

import pytest

from samen.impact.ledger import (
    Totals,
    monthly_for_member,
    record,
    record_reversal,
    totals_for_initiative,
    totals_for_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(initiative, other_initiative, member, team_member):
    lines = [
        ("money", member, initiative, {"amount_minor": 1250, "currency": "EUR"}),
        ("money", member, initiative, {"amount_minor": 750, "currency": "EUR"}),
        ("money", member, other_initiative, {"amount_minor": 5000, "currency": "UGX"}),
        ("time", member, initiative, {"minutes": 90}),
        ("time", team_member, initiative, {"minutes": 30}),
        ("knowledge", member, initiative, {"description": "Water testing how-to"}),
        ("knowledge", None, initiative, {"description": "A map of the wells"}),
        ("money", None, initiative, {"amount_minor": 100, "currency": "EUR"}),
    ]
    for n, (kind, who, where, fields) in enumerate(lines):
        record(kind=kind, member=who, initiative=where, source="test", source_ref=str(n), **fields)


def test_member_totals_add_up_across_initiatives(ledger, member, django_assert_num_queries):
    with django_assert_num_queries(2):
        totals = totals_for_member(member)
    assert totals == Totals(
        money={"EUR": 2000, "UGX": 5000}, minutes=90, knowledge=1, people=1, volunteers=1, lines=5
    )


def test_initiative_totals_count_distinct_people_and_volunteers(
    ledger, initiative, django_assert_num_queries
):
    with django_assert_num_queries(2):
        totals = totals_for_initiative(initiative)
    assert totals.money == {"EUR": 2100}
    assert totals.minutes == 120
    assert totals.knowledge == 2
    assert totals.people == 2  # anonymous gifts count in the amounts, not as people
    assert totals.volunteers == 2
    assert totals.lines == 7


def test_someone_with_nothing_recorded_has_empty_totals(outsider):
    totals = totals_for_member(outsider)
    assert totals.is_empty
    assert (totals.money, totals.minutes, totals.knowledge) == ({}, 0, 0)


def test_months_cover_the_last_year_oldest_first(initiative, member, time_machine, django_assert_num_queries):
    time_machine.move_to(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
    for n, (when, kind, fields) in enumerate(
        [
            (datetime(2026, 3, 1, 9, 0, tzinfo=UTC), "time", {"minutes": 60}),
            (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "time", {"minutes": 30}),
            (datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "money", {"amount_minor": 500, "currency": "EUR"}),
            (datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "money", {"amount_minor": 700, "currency": "RWF"}),
            (datetime(2025, 4, 30, 9, 0, tzinfo=UTC), "knowledge", {"description": "A"}),
            (datetime(2025, 3, 31, 9, 0, tzinfo=UTC), "knowledge", {"description": "too old"}),
        ]
    ):
        record(
            kind=kind,
            initiative=initiative,
            member=member,
            source="t",
            source_ref=str(n),
            occurred_at=when,
            **fields,
        )

    with django_assert_num_queries(2):
        months = monthly_for_member(member)

    assert [m.start.isoformat() for m in (months[0], months[-1])] == ["2025-04-01", "2026-03-01"]
    assert len(months) == 12
    march = months[-1]
    assert (march.time, march.minutes, march.money, march.knowledge) == (2, 90, 2, 0)
    assert march.amounts == {"EUR": 500, "RWF": 700}
    assert months[0].knowledge == 1
    assert sum(m.count for m in months) == 5


def test_months_follow_the_current_time_zone(initiative, member, settings, time_machine):
    from django.utils import timezone

    time_machine.move_to(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
    # 23:30 UTC on 31 January is already February in Nairobi (UTC+3).
    record(
        kind="time",
        initiative=initiative,
        member=member,
        source="t",
        source_ref="1",
        minutes=60,
        occurred_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
    )
    with timezone.override("Africa/Nairobi"):
        months = {m.start.month: m.time for m in monthly_for_member(member)}
    assert (months[1], months[2]) == (0, 1)


def test_a_refund_lowers_the_months_money_but_is_not_counted_as_a_contribution(
    initiative, member, time_machine
):
    time_machine.move_to(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
    for ref, day in [("1", 2), ("2", 3)]:
        record(
            kind="money",
            initiative=initiative,
            member=member,
            source="giving.donation",
            source_ref=ref,
            amount_minor=2500,
            currency="EUR",
            occurred_at=datetime(2026, 2, day, 9, 0, tzinfo=UTC),
        )
    record_reversal(
        source="giving.donation",
        source_ref="1",
        reversal_ref="1:refund",
        occurred_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    )

    february, march = monthly_for_member(member)[-2:]

    assert (february.money, february.amounts) == (2, {"EUR": 5000})
    assert (march.money, march.count, march.amounts) == (0, 0, {"EUR": -2500})
    assert totals_for_member(member).money == {"EUR": 2500}
