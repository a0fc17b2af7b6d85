"""The public listing: /initiatives/ with search, filters and pagination."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samen.initiatives.models import Initiative
from samen.initiatives.views import PAGE_SIZE

pytestmark = pytest.mark.django_db
LIST = reverse("initiatives:list")


def titles(response):
    return [item.title for item in response.context["initiatives"]]


def test_it_lists_open_and_closed_initiatives_but_never_drafts(client, make_initiative):
    make_initiative(title="Open one")
    make_initiative(title="Closed one", status=Initiative.Status.CLOSED)
    make_initiative(title="Secret draft", status=Initiative.Status.DRAFT)

    response = client.get(LIST)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Closed one", "Open one"]
    assert b"Secret draft" not in response.content


def test_it_never_lists_drafts_even_when_asked_for_them(client, make_initiative):
    make_initiative(title="Secret draft", status=Initiative.Status.DRAFT)

    response = client.get(LIST, {"status": "draft", "q": "secret"})

    assert titles(response) == []
    assert "status" in response.context["form"].errors


def test_it_finds_initiatives_by_words_in_title_summary_or_story(client, make_initiative):
    make_initiative(title="Clean water for Kibera")
    make_initiative(title="School gardens", summary="Vegetables and water tanks for schools")
    make_initiative(title="Braille library", story="Books in **Braille** for blind readers.")

    assert titles(client.get(LIST, {"q": "water"})) == ["Clean water for Kibera", "School gardens"]
    assert titles(client.get(LIST, {"q": "braille"})) == ["Braille library"]
    assert titles(client.get(LIST, {"q": "readers books"})) == ["Braille library"]
    assert titles(client.get(LIST, {"q": "water books"})) == []


def test_it_ranks_a_title_match_above_a_story_match(client, make_initiative):
    make_initiative(title="Bikes for nurses", story="Nothing about it here.")
    make_initiative(title="Mobile clinic", story="We also repair solar panels and bikes.")

    assert titles(client.get(LIST, {"q": "bikes"})) == ["Bikes for nurses", "Mobile clinic"]


def test_search_understands_phrases_or_and_exclusion(client, make_initiative):
    make_initiative(title="Clean water", summary="Water points for the village")
    make_initiative(title="Village water", summary="Points of clean drinking water")
    make_initiative(title="Food bank", summary="Meals for families")

    assert titles(client.get(LIST, {"q": '"clean water"'})) == ["Clean water"]
    assert sorted(titles(client.get(LIST, {"q": "meals or drinking"}))) == ["Food bank", "Village water"]
    assert titles(client.get(LIST, {"q": "water -drinking"})) == ["Clean water"]


def test_search_ignores_case(client, make_initiative):
    make_initiative(title="Café Solidaire", summary="Un café pour tous")

    assert titles(client.get(LIST, {"q": "CAFÉ"})) == ["Café Solidaire"]


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        '"unclosed',
        "NEAR(a b",
        "title:water",
        "*",
        "AND",
        "OR",
        "-",
        "-water",
        "a NOT",
        "'; DROP TABLE x;--",
        "(((",
        "^water",
        "water*",
        "{title}: x",
        "\\",
        "%",
        "a" * 500,
    ],
)
def test_it_survives_search_syntax_typed_by_a_visitor(client, make_initiative, hostile):
    make_initiative(title="Clean water")

    response = client.get(LIST, {"q": hostile})

    assert response.status_code == 200
    assert Initiative.objects.count() == 1


def test_it_filters_by_cause(client, make_initiative):
    make_initiative(title="Wells", causes=["water", "health"])
    make_initiative(title="Schools", causes=["education"])
    make_initiative(title="No causes")

    assert titles(client.get(LIST, {"cause": "water"})) == ["Wells"]
    assert titles(client.get(LIST, {"cause": "education"})) == ["Schools"]


def test_a_cause_filter_does_not_match_part_of_another_cause(client, make_initiative):
    make_initiative(title="Rights", causes=["human-rights"])

    assert titles(client.get(LIST, {"cause": "health"})) == []


def test_it_filters_by_place_and_status_together_with_search(client, make_initiative):
    make_initiative(title="Water in Nairobi", place_name="Nairobi, Kenya")
    make_initiative(title="Water in Jacmel", place_name="Jacmel, Haiti")
    make_initiative(title="Old water project", place_name="Nairobi", status=Initiative.Status.CLOSED)

    assert titles(client.get(LIST, {"place": "nairobi", "status": "open"})) == ["Water in Nairobi"]
    assert titles(client.get(LIST, {"place": "nairobi", "status": "closed", "q": "water"})) == [
        "Old water project"
    ]


def test_an_unknown_cause_is_reported_and_ignored(client, make_initiative):
    make_initiative(title="Wells", causes=["water"])

    response = client.get(LIST, {"cause": "<script>", "q": "wells"})

    assert titles(response) == ["Wells"]
    assert "cause" in response.context["form"].errors
    assert b"<script>" not in response.content


def test_it_paginates_and_keeps_the_filters_in_page_links(client, make_initiative):
    for _ in range(PAGE_SIZE + 5):
        make_initiative(causes=["water"])

    first = client.get(LIST, {"cause": "water"})
    second = client.get(LIST, {"cause": "water", "page": 2})

    assert len(first.context["initiatives"]) == PAGE_SIZE
    assert len(second.context["initiatives"]) == 5
    assert b"?cause=water&amp;page=2" in first.content
    assert first.context["page"].paginator.count == PAGE_SIZE + 5


def test_a_page_number_out_of_range_shows_the_last_page(client, make_initiative):
    make_initiative(title="Only one")

    assert titles(client.get(LIST, {"page": 99})) == ["Only one"]
    assert titles(client.get(LIST, {"page": "nonsense"})) == ["Only one"]


@pytest.mark.parametrize("params", [{}, {"q": "water", "cause": "water", "place": "Nai", "status": "open"}])
def test_the_listing_runs_the_same_number_of_queries_for_3_and_30_rows(client, make_initiative, params):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, params)
        assert response.status_code == 200
        return len(queries), len(response.context["initiatives"])

    for _ in range(3):
        make_initiative(summary="Water for all", causes=["water"], place_name="Nairobi")
    few, shown_few = count_queries()
    for _ in range(27):
        make_initiative(summary="Water for all", causes=["water"], place_name="Nairobi")
    many, shown_many = count_queries()

    assert (shown_few, shown_many) == (3, PAGE_SIZE)
    assert few == many


def test_the_home_page_shows_open_initiatives_only(client, make_initiative):
    make_initiative(title="Open one")
    make_initiative(title="Closed one", status=Initiative.Status.CLOSED)
    make_initiative(title="Secret draft", status=Initiative.Status.DRAFT)

    response = client.get(reverse("home"))

    assert [i.title for i in response.context["initiatives"]] == ["Open one"]
