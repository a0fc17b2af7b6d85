"""The plan page does a constant number of queries, however many sections and reactions it has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_member
from samen.core.cache import fragments
from samen.plans import actions
from samen.plans.models import Reaction, Section

pytestmark = pytest.mark.django_db


def grow(plan, sections: int, reactions_each: int, people):
    made = []
    for n in range(sections):
        made.append(
            Section(
                plan=plan,
                position=1000 + n,
                depth=1 + n % 3,
                heading=f"S{n}",
                body=f"Text {n}",
                expertise=["x"],
            )
        )
    Section.objects.bulk_create(made)
    rows = []
    for section in plan.sections.all():
        for k in range(reactions_each):
            rows.append(
                Reaction(
                    section=section,
                    author=people[k % len(people)],
                    body=f"R{k}",
                    state="answered" if k % 2 else "open",
                    answer="ok" if k % 2 else "",
                )
            )
    Reaction.objects.bulk_create(rows)
    actions.bump(plan.pk)


def count_queries(client, path) -> int:
    fragments.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_the_number_of_queries_does_not_grow_with_the_plan(
    client_as, people, plan, who, django_assert_num_queries
):
    client = client_as(people[who])
    path = plan.get_absolute_url()
    small = count_queries(client, path)
    grow(plan, 46, 40, [people["member"], people["outsider"], make_member("x@example.org", "X")])
    assert (plan.sections.count(), Reaction.objects.count()) == (50, 2000)
    fragments.clear()
    with django_assert_num_queries(small):
        page = client.get(path).content.decode()
    assert "answered 20 of 40" in page
    # Cached: the sections and counts are not asked for again until something changes.
    with CaptureQueriesContext(connection) as cached:
        client.get(path)
    assert len(cached) == small - 2
