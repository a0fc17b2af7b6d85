from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from samen.impact.ledger import record, record_reversal

pytestmark = pytest.mark.django_db
URL = reverse("impact:mine")


def give(member, initiative, n, start=datetime(2026, 3, 10, 12, 0, tzinfo=UTC)):
    """n lines of each kind, one a day going back from `start`."""
    for i in range(n):
        when = start - timedelta(days=i)
        record(
            kind="time",
            initiative=initiative,
            member=member,
            source="t",
            source_ref=f"{i}",
            minutes=60,
            occurred_at=when,
        )
        record(
            kind="money",
            initiative=initiative,
            member=member,
            source="m",
            source_ref=f"{i}",
            amount_minor=1000,
            currency="EUR",
            occurred_at=when,
        )
        record(
            kind="knowledge",
            initiative=initiative,
            member=member,
            source="k",
            source_ref=f"{i}",
            description=f"Tip {i}",
            occurred_at=when,
        )


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(datetime(2026, 3, 15, 12, 0, tzinfo=UTC))


def test_it_asks_anonymous_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_it_shows_my_totals_chart_and_lines(client_as, member, initiative):
    give(member, initiative, 2)
    response = client_as(member).get(URL)
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert "2 hours" in html
    assert "2 items shared" in html
    assert "€20.00" in html
    assert 'role="img"' in html and '<title id="chart-title">' in html
    assert '<th scope="row">March 2026</th>' in html
    assert "Tip 1" in html
    assert reverse("initiatives:detail", args=[initiative.slug]) in html


def test_i_only_see_my_own_ledger(client_as, member, outsider, initiative):
    give(member, initiative, 1)
    record(
        kind="knowledge",
        initiative=initiative,
        member=outsider,
        source="k",
        source_ref="otto",
        description="Otto's secret",
    )
    html = client_as(member).get(URL).text
    assert "Otto&#x27;s secret" not in html and "Otto's secret" not in html
    html = client_as(outsider).get(URL).text
    assert "Otto&#x27;s secret" in html
    assert "Tip 0" not in html


def test_an_empty_ledger_invites_me_to_start(client_as, outsider):
    html = client_as(outsider).get(URL).text
    assert "Nothing recorded yet" in html
    assert reverse("initiatives:list") in html
    # Twelve empty months would be a large blank chart: it only appears once there is something to compare.
    assert 'role="img"' not in html


def test_lines_are_paginated(client_as, member, initiative):
    give(member, initiative, 10)  # 30 lines: two pages
    first = client_as(member).get(URL)
    assert len(first.context["page"].object_list) == 25
    assert 'rel="next"' in first.text
    second = client_as(member).get(URL, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert 'rel="prev"' in second.text
    assert client_as(member).get(URL, {"page": "nonsense"}).status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_ledger(
    client_as, member, initiative, other_initiative, django_assert_num_queries
):
    client = client_as(member)
    give(member, initiative, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    give(member, other_initiative, 20, start=datetime(2025, 6, 1, tzinfo=UTC))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 25


def test_a_refund_shows_as_its_own_line_and_lowers_the_total(client_as, member, initiative):
    for ref in ("1", "2"):
        record(
            kind="money",
            initiative=initiative,
            member=member,
            source="giving.donation",
            source_ref=ref,
            amount_minor=2500,
            currency="EUR",
            description=f"Donation to {initiative.title}",
            occurred_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        )
    record_reversal(
        source="giving.donation",
        source_ref="2",
        reversal_ref="2:refund",
        description=f"Refund of donation to {initiative.title}",
    )

    response = client_as(member).get(URL)

    assert response.context["totals"].money == {"EUR": 2500}
    html = response.text
    assert "<dd>€25.00</dd>" in html  # the total: €50.00 given, €25.00 of it refunded
    assert f"\u2212€25.00 · Refund of donation to {initiative.title}" in html
    assert html.count(f"€25.00 · Donation to {initiative.title}") == 2
