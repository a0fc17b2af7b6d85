"""Coordinators keep a map's nested categories, with colours and names in several languages."""

import pytest
from django.urls import reverse

from samen.reports.models import Category


def category_data(**fields):
    data = {"title": "Shelter", "parent": "", "colour": "#1A4FD6", "position": "0"}
    data.update(fields)
    return data


@pytest.mark.django_db
def test_a_category_is_added_with_names_per_language(client_as, people, report_map):
    response = client_as(people["owner"]).post(
        reverse("reports:manage_categories", args=[report_map.slug]),
        category_data(name_fr="Abri", name_ht="Abri", name_nl="Onderdak", name_en=""),
    )

    category = Category.objects.get()
    assert response.status_code == 302
    assert category.report_map == report_map
    assert category.translations == {"fr": "Abri", "ht": "Abri", "nl": "Onderdak"}
    assert category.colour == "#1a4fd6"


@pytest.mark.django_db
def test_a_subcategory_sits_under_its_parent(client_as, people, report_map, categories):
    client_as(people["owner"]).post(
        reverse("reports:manage_categories", args=[report_map.slug]),
        category_data(title="Collapsed building", parent=categories["urgent"].pk),
    )

    assert Category.objects.get(title="Collapsed building").parent == categories["urgent"]


@pytest.mark.django_db
def test_editing_shows_and_keeps_translations(client_as, people, report_map, categories):
    client = client_as(people["owner"])
    url = reverse("reports:manage_category", args=[report_map.slug, categories["urgent"].pk])

    page = client.get(url).content.decode()
    client.post(url, category_data(title="Emergency", colour="#a4161a", name_fr="Urgences", name_nl=""))

    assert 'value="Noodgeval"' in page
    categories["urgent"].refresh_from_db()
    assert categories["urgent"].translations == {"fr": "Urgences"}


@pytest.mark.django_db
def test_a_category_cannot_move_under_its_own_child(client_as, people, report_map, categories):
    url = reverse("reports:manage_category", args=[report_map.slug, categories["urgent"].pk])

    response = client_as(people["owner"]).post(
        url, category_data(title="Emergency", parent=categories["broken"].pk)
    )

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    categories["urgent"].refresh_from_db()
    assert categories["urgent"].parent is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"colour": "red"}, "colour", "A colour like #0b6b3a."),
        ({"title": "emergency"}, "title", "There is already a category with this name here."),
        ({"title": "   "}, "title", "This field is required."),
    ],
)
def test_bad_categories_are_refused_beside_their_field(
    client_as, people, report_map, categories, fields, field, message
):
    response = client_as(people["owner"]).post(
        reverse("reports:manage_categories", args=[report_map.slug]), category_data(**fields)
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]


@pytest.mark.django_db
def test_a_parent_with_subcategories_is_not_deleted(client_as, people, report_map, categories):
    client = client_as(people["owner"])

    client.post(reverse("reports:manage_category_delete", args=[report_map.slug, categories["urgent"].pk]))
    client.post(reverse("reports:manage_category_delete", args=[report_map.slug, categories["unsafe"].pk]))

    assert set(Category.objects.values_list("title", flat=True)) == {"Emergency", "Broken water point"}


@pytest.mark.django_db
def test_hostile_category_names_are_escaped(client_as, people, report_map):
    client = client_as(people["owner"])
    client.post(
        reverse("reports:manage_categories", args=[report_map.slug]),
        category_data(title="<b onmouseover=x>Bold</b>"),
    )

    page = client.get(reverse("reports:report", args=[report_map.slug])).content.decode()

    assert "<b onmouseover=x>" not in page
    assert "&lt;b onmouseover=x&gt;Bold&lt;/b&gt;" in page
