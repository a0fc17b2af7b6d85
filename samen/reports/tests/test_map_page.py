"""The map page: Leaflet enhances it, and the filters and the list work without JavaScript."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from samen.reports.models import Report, ReportMap
from samen.reports.views import mapview

REVIEWERS = {"coordinator", "team", "reviewer"}


@pytest.fixture
def reports(make_report, categories):
    return {
        "nairobi": make_report(
            title="Broken tap in Kibera",
            status=Report.Status.PUBLISHED,
            primary_category=categories["broken"],
            source=Report.Source.SMS,
            event_at=timezone.make_aware(datetime(2024, 3, 1, 9)),
        ),
        "mombasa": make_report(
            title="Dirty water in Mombasa",
            latitude=Decimal("-4.05"),
            longitude=Decimal("39.66"),
            status=Report.Status.PUBLISHED,
            primary_category=categories["unsafe"],
            source=Report.Source.WEB,
            event_at=timezone.make_aware(datetime(2024, 3, 20, 9)),
        ),
        "waiting": make_report(title="Not reviewed yet", status=Report.Status.RECEIVED),
    }


def test_the_map_has_its_own_address(report_map):
    assert report_map.get_absolute_url() == reverse("reports:map", args=[report_map.slug])


def test_the_page_loads_leaflet_and_describes_the_map(client, report_map, reports):
    response = client.get(report_map.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/leaflet/leaflet.js" in html
    assert "reports/map.js" in html
    assert 'aria-describedby="map-help"' in html
    assert reverse("reports:clusters", args=[report_map.slug]) in html
    assert "tile.openstreetmap.org" in html


def test_the_list_shows_published_reports_with_links_to_them(client, report_map, reports):
    response = client.get(report_map.get_absolute_url())

    html = response.content.decode()
    assert reports["nairobi"].get_absolute_url() in html
    assert "Dirty water in Mombasa" in html
    assert "Not reviewed yet" not in html


def test_the_list_never_shows_the_original_text(client, report_map, reports):
    html = client.get(report_map.get_absolute_url()).content.decode()
    # make_report's description carries a phone number; the list shows the scrubbed text.
    assert "712 345 678" not in html


@pytest.mark.parametrize("who", ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"])
def test_reviewers_see_every_status_and_a_status_filter(client_as, map_people, report_map, reports, who):
    html = client_as(map_people[who]).get(report_map.get_absolute_url()).content.decode()

    assert ("Not reviewed yet" in html) == (who in REVIEWERS)
    assert ('name="status"' in html) == (who in REVIEWERS)


@pytest.mark.parametrize("who", ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"])
def test_a_private_map_page_is_not_found_for_outsiders(client_as, map_people, report_map, reports, who):
    report_map.visibility = ReportMap.Visibility.PRIVATE
    report_map.save()

    response = client_as(map_people[who]).get(report_map.get_absolute_url())

    assert response.status_code == (200 if who in REVIEWERS else 404)


def test_a_reviewer_filters_the_list_by_status(client_as, map_people, report_map, reports):
    html = (
        client_as(map_people["reviewer"])
        .get(report_map.get_absolute_url() + "?status=received")
        .content.decode()
    )

    assert "Not reviewed yet" in html
    assert "Broken tap in Kibera" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("source=web", "Dirty water in Mombasa", "Broken tap in Kibera"),
        ("from=2024-03-10", "Dirty water in Mombasa", "Broken tap in Kibera"),
        ("to=2024-03-01", "Broken tap in Kibera", "Dirty water in Mombasa"),
        ("bbox=-5,38,-3,41", "Dirty water in Mombasa", "Broken tap in Kibera"),
    ],
)
def test_the_filters_narrow_the_list(client, report_map, reports, query, shown, hidden):
    html = client.get(f"{report_map.get_absolute_url()}?{query}").content.decode()

    assert shown in html
    assert hidden not in html


def test_a_parent_category_lists_its_childrens_reports(client, report_map, reports, categories):
    html = client.get(f"{report_map.get_absolute_url()}?category={categories['urgent'].pk}").content.decode()

    assert "Broken tap in Kibera" in html
    assert "Dirty water in Mombasa" not in html


def test_a_bad_filter_is_reported_and_the_others_still_apply(client, report_map, reports):
    response = client.get(f"{report_map.get_absolute_url()}?from=soon&source=web")

    assert response.status_code == 200
    assert response.context["form"].errors["from"]
    html = response.content.decode()
    assert "Dirty water in Mombasa" in html
    assert "Broken tap in Kibera" not in html


def test_the_pages_keep_the_filters(client, report_map, make_report, monkeypatch):
    monkeypatch.setattr(mapview, "PAGE_SIZE", 2)
    for i in range(5):
        make_report(title=f"Web report {i}", status=Report.Status.PUBLISHED, source=Report.Source.WEB)

    response = client.get(f"{report_map.get_absolute_url()}?source=web")

    assert 'href="?source=web&amp;page=2"' in response.content.decode()


def test_the_list_fragment_follows_the_area(client, report_map, reports):
    url = reverse("reports:map_list", args=[report_map.slug])
    html = client.get(f"{url}?bbox=-5,38,-3,41").content.decode()

    assert "Dirty water in Mombasa" in html
    assert "Broken tap in Kibera" not in html
    assert "<html" not in html


def test_the_page_names_the_categories_in_a_legend(client, report_map, reports, categories):
    html = client.get(report_map.get_absolute_url()).content.decode()
    assert categories["unsafe"].colour in html
    assert "Broken water point" in html


@pytest.mark.django_db
def test_the_subscribe_link_carries_the_area_in_the_order_the_subscribe_page_reads(
    client, report_map, reports
):
    import re
    from html import unescape

    page = client.get(reverse("reports:map", args=[report_map.slug]), {"bbox": "-4.5,36.5,-1.0,40.0"}).text
    link = unescape(re.search(r'id="subscribe-link" href="([^"]+)"', page).group(1))
    assert link.endswith("?bbox=-4.5,36.5,-1.0,40.0") or link.endswith(
        "?bbox=-4.500000,36.500000,-1.000000,40.000000"
    )

    form = client.get(link).text
    for name, value in {"south": "-4.5", "west": "36.5", "north": "-1", "east": "40"}.items():
        field = re.search(rf'name="{name}"[^>]*value="([^"]+)"', form) or re.search(
            rf'value="([^"]+)"[^>]*name="{name}"', form
        )
        assert field, f"the subscribe form has no {name} value"
        assert float(field.group(1)) == float(value)


@pytest.fixture
def unplaced(make_report, categories):
    """Published reports with no coordinates: in the list, never on the map."""
    return [
        make_report(
            title=f"Somewhere in Kibera {n}",
            latitude=None,
            longitude=None,
            place_name="Kibera",
            status=Report.Status.PUBLISHED,
            primary_category=categories["broken"] if n else categories["unsafe"],
        )
        for n in range(2)
    ]


def test_an_area_list_links_to_the_reports_without_a_place(client, report_map, reports, unplaced):
    url = reverse("reports:map_list", args=[report_map.slug])
    html = client.get(f"{url}?bbox=-5,38,-3,41").content.decode()

    assert "Somewhere in Kibera" not in html  # not in the area: they have no place
    assert "2 reports without a place are not on the map: show them" in html
    assert 'href="?unplaced=1"' in html


def test_the_unplaced_list_shows_only_reports_without_a_place(client, report_map, reports, unplaced):
    page = client.get(reverse("reports:map", args=[report_map.slug]), {"unplaced": "1"})
    html = page.content.decode()

    assert "2 reports without a place" in html
    assert "Somewhere in Kibera 0" in html and "Somewhere in Kibera 1" in html
    assert "Dirty water in Mombasa" not in html
    assert "Show the reports on the map" in html
    # The map's script asks for its list with the same filters, whatever area the map shows.
    fragment = client.get(
        reverse("reports:map_list", args=[report_map.slug]), {"unplaced": "1", "bbox": "-5,38,-3,41"}
    ).content.decode()
    assert "Somewhere in Kibera 0" in fragment
    assert "Dirty water in Mombasa" not in fragment


def test_the_unplaced_list_keeps_the_other_filters_and_the_viewers_rights(
    client, report_map, reports, unplaced, categories, make_report
):
    make_report(title="Unreviewed, no place", latitude=None, longitude=None, status=Report.Status.RECEIVED)
    url = reverse("reports:map_list", args=[report_map.slug])
    html = client.get(url, {"unplaced": "1", "category": categories["unsafe"].pk}).content.decode()

    assert "Somewhere in Kibera 0" in html
    assert "Somewhere in Kibera 1" not in html
    assert "Unreviewed, no place" not in html
    # The count beside an area follows the same filters.
    area = client.get(url, {"bbox": "-5,38,-3,41", "category": categories["unsafe"].pk}).content.decode()
    assert "1 report without a place is not on the map: show it" in area


def test_no_link_when_every_report_has_a_place(client, report_map, reports):
    html = client.get(reverse("reports:map_list", args=[report_map.slug]), {"bbox": "-5,38,-3,41"})
    assert "without a place" not in html.content.decode()
