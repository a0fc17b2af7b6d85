"""A report's public title, text and place: scrubbed from the originals, correctable by a reviewer's hand,
and the only version anyone but a reviewer ever sees, on every surface (page, list, GeoJSON, API, CSV).

The privacy matrix: coordinator (owner), team, reviewer, member, outsider, anonymous.
"""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from samen.api.tests.conftest import ApiClient
from samen.messaging.models import OutboundMessage
from samen.reports import notify
from samen.reports.models import Report, ReportChange, Subscription

ROLES = ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"]
REVIEWERS = {"coordinator", "team", "reviewer"}

TITLE = "Tap dry, rele 3701 4545"
PLACE = "Kay Madan Jean (tel 3458-2290), Delmas 33"
TEXT = "Time: 2010-01-16 14:45:49 latitude: 18.533333 Nou bezwen dlo, rele 36392029 oswa jean@example.org"
PRIVATE = ["3701 4545", "3458-2290", "36392029", "jean@example.org"]


@pytest.fixture
def haiti_map(report_map):
    report_map.country = "HT"
    report_map.save(update_fields=["country"])
    return report_map


@pytest.fixture
def published(haiti_map, make_report):
    return make_report(
        title=TITLE,
        description=TEXT,
        place_name=PLACE,
        reporter_contact="+50937000000",
        status=Report.Status.PUBLISHED,
        latitude=Decimal("18.533333"),
        longitude=Decimal("-72.333333"),
    )


def shows_private(text: str) -> list[str]:
    return [item for item in PRIVATE if item in text]


@pytest.mark.django_db
def test_prepare_scrubs_title_text_and_place_with_the_maps_country(published):
    assert published.title == TITLE
    assert published.place_name == PLACE
    assert published.public_title == "Tap dry, rele [removed]"
    assert published.public_place_name == "Kay Madan Jean (tel [removed]), Delmas 33"
    assert published.public_description == (
        "Time: 2010-01-16 14:45:49 latitude: 18.533333 Nou bezwen dlo, rele [removed] oswa [removed]"
    )


@pytest.mark.django_db
def test_a_map_without_a_country_reads_local_numbers_by_the_senders_country(report_map, make_report):
    assert report_map.country == ""
    report = make_report(title="Maji", description="piga 0722 123 456", reporter_contact="+254712000000")
    assert report.public_description == "piga [removed]"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_report_page_shows_the_originals_to_reviewers_only(client_as, map_people, role, published):
    response = client_as(map_people[role]).get(
        reverse("reports:detail", args=[published.report_map.slug, published.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Tap dry, rele [removed] · Samen</title>" in page
    assert "Kay Madan Jean (tel [removed]), Delmas 33" in page
    assert "2010-01-16 14:45:49" in page
    if role in REVIEWERS:
        assert shows_private(page) == PRIVATE
    else:
        assert shows_private(page) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_list_beside_the_map_and_the_geojson_show_public_text_to_everyone(
    client_as, map_people, role, published
):
    client = client_as(map_people[role])
    listing = client.get(reverse("reports:map_list", args=[published.report_map.slug])).content.decode()
    geojson = client.get(
        reverse("reports:geojson", args=[published.report_map.slug]), {"bbox": "17,-74,20,-71"}
    ).content.decode()
    clusters = client.get(
        reverse("reports:clusters", args=[published.report_map.slug]), {"bbox": "18,-73,19,-72", "zoom": 17}
    ).content.decode()
    assert "Tap dry, rele [removed]" in listing
    assert "Kay Madan Jean (tel [removed]), Delmas 33" in listing
    assert shows_private(listing) == []
    feature = json.loads(geojson)["features"][0]["properties"]
    assert (feature["title"], feature["place"]) == (
        "Tap dry, rele [removed]",
        "Kay Madan Jean (tel [removed]), Delmas 33",
    )
    assert shows_private(geojson) == []
    assert "Tap dry, rele [removed]" in clusters
    assert shows_private(clusters) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_api_gives_originals_to_reviewers_only(map_people, role, published):
    client = ApiClient(map_people[role])
    body = client.get(f"/api/maps/{published.report_map.slug}/reports/{published.pk}").json()
    assert body["title"] == "Tap dry, rele [removed]"
    assert body["location"]["place_name"] == "Kay Madan Jean (tel [removed]), Delmas 33"
    if role in REVIEWERS:
        assert body["review"]["original_title"] == TITLE
        assert body["review"]["original_place_name"] == PLACE
        assert body["review"]["original_description"] == TEXT
    else:
        assert body["review"] is None
        assert shows_private(json.dumps(body)) == []
    listed = client.get(f"/api/maps/{published.report_map.slug}/reports").content.decode()
    geojson = client.get(f"/api/maps/{published.report_map.slug}/reports.geojson").content.decode()
    assert shows_private(geojson) == []
    assert bool(shows_private(listed)) is (role in REVIEWERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_csv_export_has_originals_for_reviewers_and_public_text_for_everyone_else(
    client_as, map_people, role, published
):
    response = client_as(map_people[role]).get(
        reverse("reports:csv_export", args=[published.report_map.slug])
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    if role in REVIEWERS:
        assert shows_private(body) == PRIVATE
    else:
        assert shows_private(body) == []
        assert "Tap dry, rele [removed]" in body
        assert "Kay Madan Jean (tel [removed]), Delmas 33" in body
    assert "2010-01-16 14:45:49" in body


@pytest.mark.django_db
def test_webhook_payloads_and_alerts_carry_the_public_text_only(published):
    payload = json.dumps(notify.webhook_payload(published))
    assert shows_private(payload) == []
    assert "Tap dry, rele [removed]" in payload

    subscription = Subscription.objects.create(
        report_map=published.report_map, channel=Subscription.Channel.EMAIL, address="fan@example.org"
    )
    assert notify.notify(published, subscription, sms_channel=None)
    message = OutboundMessage.objects.get(to="fan@example.org")
    sent = f"{message.subject}\n{message.body}\n{message.html_body}"
    assert "Tap dry, rele [removed]" in message.subject
    assert "Kay Madan Jean (tel [removed]), Delmas 33" in message.body
    assert shows_private(sent) == []


# --- Correcting the public text by hand -----------------------------------------------------------


def edit_form(report, **changes):
    data = {
        "title": report.title,
        "description": report.description,
        "event_at": report.event_at.strftime("%Y-%m-%dT%H:%M"),
        "place_name": report.place_name,
        "latitude": str(report.latitude),
        "longitude": str(report.longitude),
        "location_precision": report.location_precision,
        "public_title": report.public_title,
        "public_description": report.public_description,
        "public_place_name": report.public_place_name,
        "shown_public_title": report.public_title,
        "shown_public_description": report.public_description,
        "shown_public_place_name": report.public_place_name,
        "then": "",
    }
    data.update(changes)
    return data


def save_edit(client, report, **changes):
    url = reverse("reports:review_edit", args=[report.report_map.slug, report.pk])
    client.get(url)
    return client.post(url, edit_form(report, **changes))


@pytest.mark.django_db
def test_a_reviewers_correction_sticks_and_is_logged(client_as, map_people, published):
    client = client_as(map_people["reviewer"])
    response = save_edit(client, published, public_description="Nou bezwen dlo (ref 36392029 is a shipment).")
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.public_description == "Nou bezwen dlo (ref 36392029 is a shipment)."
    assert published.public_description_by_hand
    change = ReportChange.objects.filter(report=published, action="corrected").get()
    assert change.actor == map_people["reviewer"]
    assert change.changes["public_description"][1] == "Nou bezwen dlo (ref 36392029 is a shipment)."
    assert change.changes["public_description_by_hand"] == ["False", "True"]

    # Editing the original afterwards, or saving anything, leaves the correction alone.
    response = save_edit(client, published, description=TEXT + " Mesi.")
    published.refresh_from_db()
    assert published.description.endswith("Mesi.")
    assert published.public_description == "Nou bezwen dlo (ref 36392029 is a shipment)."
    published.save()
    published.refresh_from_db()
    assert published.public_description == "Nou bezwen dlo (ref 36392029 is a shipment)."
    # ... while the fields not corrected still follow their originals.
    response = save_edit(client, published, title="Tap dry, call 3701 4545 today")
    published.refresh_from_db()
    assert published.public_title == "Tap dry, call [removed] today"

    # The public page shows the correction; giving it back to the scrubber undoes it.
    page = client_as(None).get(reverse("reports:detail", args=[published.report_map.slug, published.pk]))
    assert "ref 36392029 is a shipment" in page.content.decode()
    save_edit(client, published, rederive="on")
    published.refresh_from_db()
    assert not published.public_description_by_hand
    assert "36392029" not in published.public_description
    assert published.public_description.endswith("Mesi.")


@pytest.mark.django_db
def test_changing_the_original_without_touching_the_public_field_is_no_correction(
    client_as, map_people, published
):
    client = client_as(map_people["team"])
    save_edit(client, published, description="Nou bezwen dlo, rele 3458 2290", place_name="Delmas 40")
    published.refresh_from_db()
    assert published.public_description == "Nou bezwen dlo, rele [removed]"
    assert published.public_place_name == "Delmas 40"
    assert not (published.public_description_by_hand or published.public_place_by_hand)
    assert not ReportChange.objects.filter(report=published, action="corrected").exists()


@pytest.mark.django_db
def test_an_emptied_public_title_is_made_from_the_title_again(client_as, map_people, published):
    client = client_as(map_people["coordinator"])
    save_edit(client, published, public_title="Water")
    published.refresh_from_db()
    assert (published.public_title, published.public_title_by_hand) == ("Water", True)
    save_edit(client, published, public_title="")
    published.refresh_from_db()
    assert (published.public_title, published.public_title_by_hand) == ("Tap dry, rele [removed]", False)


@pytest.mark.django_db
def test_a_correction_that_still_holds_a_number_is_kept_with_a_warning(client_as, map_people, published):
    client = client_as(map_people["reviewer"])
    response = save_edit(client, published, public_place_name="Delmas 33, tel 3458-2290")
    published.refresh_from_db()
    assert published.public_place_name == "Delmas 33, tel 3458-2290"
    page = client.get(response["Location"]).content.decode()
    assert "still holds what looks like a phone number" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "outsider", "anonymous"])
def test_only_reviewers_may_correct(client_as, map_people, role, published):
    url = reverse("reports:review_edit", args=[published.report_map.slug, published.pk])
    response = client_as(map_people[role]).post(url, edit_form(published, public_title="Hacked"))
    assert response.status_code in (302, 403, 404)
    published.refresh_from_db()
    assert published.public_title == "Tap dry, rele [removed]"


# --- The map's country ----------------------------------------------------------------------------


def settings_form(report_map, **changes):
    data = {
        "title": report_map.title,
        "description": report_map.description,
        "visibility": report_map.visibility,
        "channels": report_map.channels,
        "default_latitude": str(report_map.default_latitude),
        "default_longitude": str(report_map.default_longitude),
        "default_zoom": str(report_map.default_zoom),
        "sms_keyword": report_map.sms_keyword,
        "sms_number": report_map.sms_number,
        "country": report_map.country,
        "email_address": report_map.email_address,
        "auto_reply": report_map.auto_reply,
        "duplicate_window_minutes": str(report_map.duplicate_window_minutes),
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_map_left_without_a_country_gets_its_sms_numbers_country(client_as, people, report_map):
    client_as(people["owner"]).post(
        reverse("reports:manage", args=[report_map.slug]), settings_form(report_map)
    )
    report_map.refresh_from_db()
    assert report_map.country == "KE"


@pytest.mark.django_db
def test_without_an_sms_number_the_country_comes_from_the_maps_centre(client_as, people, report_map):
    form = settings_form(
        report_map, sms_number="", sms_keyword="", default_latitude="18.54", default_longitude="-72.34"
    )
    client_as(people["owner"]).post(reverse("reports:manage", args=[report_map.slug]), form)
    report_map.refresh_from_db()
    assert report_map.country == "HT"


@pytest.mark.django_db
def test_changing_the_country_scrubs_the_maps_reports_again_but_keeps_corrections(
    client_as, people, report_map, make_report, django_capture_on_commit_callbacks
):
    report_map.country = "US"
    report_map.save(update_fields=["country"])
    plain = make_report(title="Dlo", description="ref 4712 6633 ok", reporter_contact="")
    corrected = make_report(title="Dlo", description="ref 4712 6633 ok", reporter_contact="")
    Report.objects.filter(pk=corrected.pk).update(
        public_description="by hand", public_description_by_hand=True
    )
    # A reference number in the US; a valid phone number in Haiti.
    assert plain.public_description == "ref 4712 6633 ok"

    with django_capture_on_commit_callbacks(execute=True):
        client_as(people["owner"]).post(
            reverse("reports:manage", args=[report_map.slug]), settings_form(report_map, country="HT")
        )
    plain.refresh_from_db()
    corrected.refresh_from_db()
    report_map.refresh_from_db()
    assert report_map.country == "HT"
    assert plain.public_description == "ref [removed] ok"
    assert corrected.public_description == "by hand"


@pytest.mark.django_db
def test_the_rescrub_task_reads_local_numbers_with_the_new_country(report_map, make_report):
    from samen.reports.tasks import rescrub_map

    report_map.country = "US"
    report_map.save(update_fields=["country"])
    report = make_report(title="Dlo", description="ref 4712 6633 ok", reporter_contact="")
    assert report.public_description == "ref 4712 6633 ok"
    report_map.country = "HT"
    report_map.save(update_fields=["country"])
    assert rescrub_map.call(report_map.pk) == 1
    report.refresh_from_db()
    assert report.public_description == "ref [removed] ok"
    assert rescrub_map.call(report_map.pk) == 0


@pytest.mark.django_db
def test_the_country_list_names_countries_in_the_pages_language(client_as, people, report_map):
    page = client_as(people["owner"]).get(reverse("reports:manage", args=[report_map.slug])).content.decode()
    assert "Haiti (+509)" in page
    assert "Kenya (+254)" in page


# --- Titles made from an SMS ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_sms_title_is_made_from_the_scrubbed_text_so_no_half_number_survives(
    report_map, django_capture_on_commit_callbacks
):
    from django.test import Client

    from samen.messaging.models import Channel
    from samen.messaging.tests.payloads import form

    channel = Channel.objects.create(kind="smssync", name="Phone", secret="smssync-secret")
    # The eighth word is the first half of the number: cut first, "3639…" would stay in the title.
    message = "MAJI Nou bezwen dlo nan Delmas tanpri rele 3639 2029 mesi anpil"
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("gateways:smssync", args=[channel.pk]),
            data={**form("smssync_incoming.form"), "message": message},
        )
    report = Report.objects.get()
    assert report.description == "Nou bezwen dlo nan Delmas tanpri rele 3639 2029 mesi anpil"
    assert report.title == "Nou bezwen dlo nan Delmas tanpri rele [removed]…"
    assert report.public_title == report.title
    assert report.public_description == "Nou bezwen dlo nan Delmas tanpri rele [removed] mesi anpil"
