import threading
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from samen.impact.ledger import record, record_reversal, totals_for_initiative, totals_for_member
from samen.impact.models import Contribution

pytestmark = pytest.mark.django_db


def test_it_records_a_donation(initiative, member):
    line, created = record(
        kind="money",
        initiative=initiative,
        member=member,
        source="giving.donation",
        source_ref=42,
        amount_minor=1250,
        currency="eur",
    )
    assert created is True
    line.refresh_from_db()
    assert (line.amount_minor, line.currency, line.source_ref) == (1250, "EUR", "42")
    assert line.member == member


def test_recording_the_same_source_twice_changes_nothing(initiative, member):
    first, _ = record(
        kind="time",
        initiative=initiative,
        member=member,
        source="volunteering.entry",
        source_ref="7",
        minutes=90,
    )
    again, created = record(
        kind="time",
        initiative=initiative,
        member=member,
        source="volunteering.entry",
        source_ref="7",
        minutes=600,
    )
    assert created is False
    assert again.pk == first.pk
    assert again.minutes == 90
    assert Contribution.objects.count() == 1


def test_the_same_ref_from_another_source_is_another_line(initiative):
    record(kind="time", initiative=initiative, source="volunteering.entry", source_ref="7", minutes=30)
    _, created = record(
        kind="knowledge", initiative=initiative, source="plans.reaction", source_ref="7", description="x"
    )
    assert created is True


def test_it_keeps_when_it_happened(initiative):
    when = datetime(2025, 12, 24, 18, 0, tzinfo=UTC)
    line, _ = record(
        kind="time", initiative=initiative, source="s", source_ref="1", minutes=60, occurred_at=when
    )
    assert line.occurred_at == when


def test_an_anonymous_gift_has_no_member(initiative):
    line, _ = record(
        kind="money",
        initiative=initiative,
        source="giving.donation",
        source_ref="1",
        amount_minor=500,
        currency="UGX",
    )
    assert line.member is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "love"}, "unknown contribution kind"),
        ({"kind": "money", "currency": "EUR"}, "amount greater than 0"),
        ({"kind": "money", "amount_minor": -5, "currency": "EUR"}, "amount greater than 0"),
        ({"kind": "money", "amount_minor": 100}, "3-letter ISO 4217"),
        ({"kind": "money", "amount_minor": 100, "currency": "EURO"}, "3-letter ISO 4217"),
        ({"kind": "money", "amount_minor": 100, "currency": "€"}, "3-letter ISO 4217"),
        ({"kind": "money", "amount_minor": 12.5, "currency": "EUR"}, "whole numbers"),
        ({"kind": "time"}, "minutes greater than 0"),
        ({"kind": "time", "minutes": 30, "amount_minor": 100, "currency": "EUR"}, "only money"),
        ({"kind": "knowledge"}, "description"),
        ({"kind": "knowledge", "description": "   "}, "description"),
        ({"kind": "knowledge", "description": "x" * 301}, "longer than 300"),
        ({"kind": "knowledge", "description": "Translated the plan", "minutes": 30}, "only time"),
        ({"kind": "time", "minutes": 30, "source": ""}, "source"),
        ({"kind": "time", "minutes": 30, "source_ref": ""}, "source"),
        ({"kind": "time", "minutes": 30, "occurred_at": datetime(2025, 1, 1)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_it_refuses_a_line_that_makes_no_sense(initiative, fields, message):
    arguments = {"initiative": initiative, "source": "test", "source_ref": "1"} | fields
    with pytest.raises(ValueError, match=message):
        record(**arguments)
    assert not Contribution.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_racing_records_make_one_line(initiative):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers, so there is no race to lose")
    barrier = threading.Barrier(2)
    created = []

    def go():
        try:
            barrier.wait()
            created.append(
                record(kind="time", initiative=initiative, source="race", source_ref="1", minutes=5)[1]
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False, True]
    assert Contribution.objects.count() == 1


def gift(initiative, member, ref="7", amount=2500):
    return record(
        kind="money",
        initiative=initiative,
        member=member,
        source="giving.donation",
        source_ref=ref,
        amount_minor=amount,
        currency="EUR",
        description="Donation to Clean water",
    )[0]


def test_a_reversal_takes_a_money_line_back_once(initiative, member):
    original = gift(initiative, member)
    gift(initiative, member, ref="8", amount=1000)

    line, created = record_reversal(
        source="giving.donation", source_ref="7", reversal_ref="7:refund", description="Refund"
    )
    again, created_again = record_reversal(
        source="giving.donation", source_ref="7", reversal_ref="7:refund", description="Refund"
    )

    assert (created, created_again) == (True, False)
    assert again == line
    assert (line.amount_minor, line.currency, line.member, line.initiative) == (
        -2500,
        "EUR",
        member,
        initiative,
    )
    assert line.reverses == original and original.reversal == line
    assert Contribution.objects.count() == 3
    assert totals_for_member(member).money == {"EUR": 1000}
    assert totals_for_initiative(initiative).money == {"EUR": 1000}


def test_a_line_is_reversed_only_once_even_under_another_ref(initiative, member):
    gift(initiative, member)
    record_reversal(source="giving.donation", source_ref="7", reversal_ref="7:refund")

    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            kind="money",
            initiative=initiative,
            amount_minor=-2500,
            currency="EUR",
            reverses=Contribution.objects.get(source_ref="7"),
            source="giving.donation",
            source_ref="7:again",
        )
    assert totals_for_member(member).money == {"EUR": 0}


def test_nothing_to_reverse_changes_nothing(initiative):
    assert record_reversal(source="giving.donation", source_ref="404", reversal_ref="404:refund") == (
        None,
        False,
    )
    assert not Contribution.objects.exists()


def test_only_money_lines_are_reversed_and_a_reversal_is_not_reversed(initiative, member):
    record(kind="time", initiative=initiative, source="t", source_ref="1", minutes=30)
    with pytest.raises(ValueError, match="only a money line"):
        record_reversal(source="t", source_ref="1", reversal_ref="1:undo")
    gift(initiative, member)
    record_reversal(source="giving.donation", source_ref="7", reversal_ref="7:refund")
    with pytest.raises(ValueError, match="only a money line"):
        record_reversal(source="giving.donation", source_ref="7:refund", reversal_ref="7:refund:refund")


def test_the_database_refuses_a_negative_money_line_that_reverses_nothing(initiative):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            kind="money", initiative=initiative, amount_minor=-100, currency="EUR", source="s", source_ref="1"
        )
