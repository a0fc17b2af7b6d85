"""Coordinators create a report map on their initiative and change its settings."""

import pytest
from django.urls import reverse

from samen.reports.models import ReportMap


@pytest.mark.django_db
def test_the_initiative_page_leads_the_team_to_its_report_maps(client_as, people, initiative):
    page = client_as(people["team"]).get(initiative.get_absolute_url()).content.decode()

    assert reverse("reports:initiative_maps", args=[initiative.slug]) in page


@pytest.mark.django_db
def test_the_team_creates_a_map_with_a_slug_from_its_title(client_as, people, initiative):
    response = client_as(people["team"]).post(
        reverse("reports:create", args=[initiative.slug]),
        {
            "title": "Floods in Gonaïves",
            "description": "",
            "visibility": "public",
            "channels": ["web", "sms"],
        },
    )

    report_map = ReportMap.objects.get()
    assert response["Location"] == reverse("reports:manage", args=[report_map.slug])
    assert report_map.slug == "floods-in-gonaives"
    assert report_map.initiative == initiative
    assert report_map.channels == ["web", "sms"]


@pytest.mark.django_db
def test_a_taken_or_reserved_slug_is_made_unique(client_as, people, initiative, report_map):
    client = client_as(people["team"])

    client.post(
        reverse("reports:create", args=[initiative.slug]),
        {"title": "Kibera water reports", "visibility": "public"},
    )
    client.post(
        reverse("reports:create", args=[initiative.slug]), {"title": "Initiative", "visibility": "public"}
    )
    typed = client.post(
        reverse("reports:create", args=[initiative.slug]),
        {"title": "Mine", "slug": report_map.slug, "visibility": "public"},
    )

    assert set(ReportMap.objects.values_list("slug", flat=True)) == {
        report_map.slug,
        f"{report_map.slug}-2",
        "initiative-2",
    }
    assert typed.status_code == 200
    assert "This web address is taken. Choose another." in typed.content.decode()


def settings_data(report_map, **fields):
    data = {
        "title": report_map.title,
        "description": report_map.description,
        "visibility": report_map.visibility,
        "channels": report_map.channels,
        "default_latitude": str(report_map.default_latitude),
        "default_longitude": str(report_map.default_longitude),
        "default_zoom": report_map.default_zoom,
        "sms_keyword": report_map.sms_keyword,
        "sms_number": report_map.sms_number,
        "email_address": report_map.email_address,
        "auto_reply": report_map.auto_reply,
        "duplicate_window_minutes": report_map.duplicate_window_minutes,
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_coordinators_change_every_setting(client_as, people, report_map):
    response = client_as(people["owner"]).post(
        reverse("reports:manage", args=[report_map.slug]),
        settings_data(
            report_map,
            title="Water in Kibera",
            visibility="private",
            channels=["web"],
            default_latitude="18.4500",
            default_longitude="-72.6833",
            default_zoom="9",
            sms_keyword="maji",
            sms_number="+254 700 000 002",
            email_address="Water@Samen.example",
            auto_reply="Asante! Number {number}.",
            duplicate_window_minutes="30",
        ),
    )

    report_map.refresh_from_db()
    assert response.status_code == 302
    assert report_map.title == "Water in Kibera"
    assert report_map.visibility == "private"
    assert report_map.channels == ["web"]
    assert str(report_map.default_latitude) == "18.450000"
    assert report_map.default_zoom == 9
    assert report_map.sms_keyword == "MAJI"
    assert report_map.sms_number == "+254700000002"
    assert report_map.email_address == "water@samen.example"
    assert report_map.auto_reply == "Asante! Number {number}."
    assert report_map.duplicate_window_minutes == 30


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("default_latitude", "95", "Latitude must be between -90 and 90."),
        ("default_zoom", "30", "The zoom goes from 1 (the world) to 18 (a street)."),
        ("sms_keyword", "two words", "One word of letters and digits, for example MAJI."),
        ("sms_number", "call me", "A phone number in international form"),
    ],
)
def test_bad_settings_are_refused_beside_their_field_and_the_rest_is_kept(
    client_as, people, report_map, field, value, message
):
    response = client_as(people["owner"]).post(
        reverse("reports:manage", args=[report_map.slug]),
        settings_data(report_map, title="Typed title", **{field: value}),
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="Typed title"' in response.content.decode()
    report_map.refresh_from_db()
    assert report_map.title == "Water problems in Kibera"


@pytest.mark.django_db
def test_two_maps_cannot_share_a_keyword_on_one_number_or_an_address(
    client_as, people, report_map, initiative
):
    other = ReportMap.objects.create(initiative=initiative, slug="other", title="Other")

    response = client_as(people["owner"]).post(
        reverse("reports:manage", args=[other.slug]),
        settings_data(
            other,
            sms_keyword="maji",
            sms_number=report_map.sms_number,
            email_address=report_map.email_address,
        ),
    )

    errors = response.context["form"].errors
    assert "Another map already uses this keyword on this number." in errors["sms_keyword"]
    assert "Another map already receives reports at this address." in errors["email_address"]


@pytest.mark.django_db
def test_the_public_list_links_each_maps_form(client, report_map):
    page = client.get(reverse("reports:initiative_maps", args=[report_map.initiative.slug])).content.decode()

    assert "Water problems in Kibera" in page
    assert reverse("reports:report", args=[report_map.slug]) in page
