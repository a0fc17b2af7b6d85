"""The privacy matrix on every report page: coordinator (owner), team, reviewer, member, outsider, anonymous.

Public maps show published reports to everyone; reviewers (the team and the map's reviewers) see the
rest: unpublished reports, the reporter's contact, the original text and the evidence. Private maps
are for the team and the reviewers only, and refuse everyone else with a 404.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from samen.reports.models import Attachment, Report

ROLES = ["coordinator", "team", "reviewer", "member", "outsider", "anonymous"]
REVIEWERS = {"coordinator", "team", "reviewer"}
COORDINATORS = {"coordinator", "team"}


@pytest.fixture
def published(make_report):
    return make_report(
        title="Published tap report",
        description="The tap is dry. Call Amina on +254 712 345 678 or amina@example.org",
        reporter_contact="+254799000111",
        reporter_name="Amina Reporter",
        status=Report.Status.PUBLISHED,
    )


@pytest.fixture
def unpublished(make_report):
    return make_report(title="Waiting tap report", reporter_contact="+254799000222")


@pytest.fixture
def evidence(published):
    item = Attachment(report=published, content_type="image/png", size=4, original_name="tap.png")
    item.file.save("tap.png", ContentFile(b"\x89PNG"), save=True)
    return item


def get(client_as, person, url):
    return client_as(person).get(url)


def refused(response, role):
    """Anonymous people are sent to log in; signed-in people get 403 or 404."""
    if role == "anonymous":
        return response.status_code in (302, 404)
    return response.status_code in (403, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_a_published_report_shows_everyone_only_the_scrubbed_text(client_as, map_people, role, published):
    response = get(
        client_as, map_people[role], reverse("reports:detail", args=[published.report_map.slug, published.pk])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Published tap report" in page
    assert "The tap is dry. Call Amina on [removed] or [removed]" in page
    shows_private = role in REVIEWERS
    assert ("+254 712 345 678" in page) is shows_private
    assert ("amina@example.org" in page) is shows_private
    assert ("+254799000111" in page) is shows_private
    assert ("Amina Reporter" in page) is shows_private
    assert ("History" in page) is shows_private


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_an_unpublished_report_is_for_reviewers_only(client_as, map_people, role, unpublished):
    response = get(
        client_as,
        map_people[role],
        reverse("reports:detail", args=[unpublished.report_map.slug, unpublished.pk]),
    )

    if role in REVIEWERS:
        assert response.status_code == 200
        assert "+254799000222" in response.content.decode()
    else:
        assert response.status_code == 404
        assert "Waiting tap report" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_a_private_maps_published_report_is_for_reviewers_only(
    client_as, map_people, role, published, report_map
):
    report_map.visibility = "private"
    report_map.save()

    response = get(
        client_as, map_people[role], reverse("reports:detail", args=[report_map.slug, published.pk])
    )

    assert response.status_code == (200 if role in REVIEWERS else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_evidence_is_served_to_reviewers_only_even_on_a_published_report(
    client_as, map_people, role, evidence
):
    url = reverse(
        "reports:attachment", args=[evidence.report.report_map.slug, evidence.report.pk, evidence.pk]
    )

    response = get(client_as, map_people[role], url)

    if role in REVIEWERS:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"\x89PNG"
        assert response["Cache-Control"] == "private, no-store"
    else:
        assert refused(response, role)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "uploaded_as", "inline", "extension"),
    [
        ("image/png", "Amina at the camp, Kibera.png", True, ".png"),
        ("image/jpeg", "photo.php", True, ".jpg"),
        ("video/3gpp", "MMS 0712345678.3gp", False, ".3gp"),
        ("application/x-made-up", 'evil".html', False, ".bin"),
    ],
)
def test_evidence_downloads_are_named_by_id_and_type_never_as_uploaded(
    client_as, map_people, published, content_type, uploaded_as, inline, extension
):
    item = Attachment(report=published, content_type=content_type, size=4, original_name=uploaded_as)
    item.file.save(uploaded_as, ContentFile(b"\x89PNG"), save=True)
    url = reverse("reports:attachment", args=[published.report_map.slug, published.pk, item.pk])

    response = client_as(map_people["reviewer"]).get(url)

    disposition = "inline" if inline else "attachment"
    assert response["Content-Disposition"] == f'{disposition}; filename="evidence-{item.pk}{extension}"'
    assert response["Content-Type"] == (content_type if inline else "application/octet-stream")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_detail_page_links_evidence_only_through_the_checked_view(client_as, map_people, role, evidence):
    url = reverse("reports:detail", args=[evidence.report.report_map.slug, evidence.report.pk])

    page = get(client_as, map_people[role], url).content.decode()

    assert evidence.file.name not in page
    attachment_url = reverse(
        "reports:attachment", args=[evidence.report.report_map.slug, evidence.report.pk, evidence.pk]
    )
    assert (attachment_url in page) is (role in REVIEWERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("private", [False, True])
def test_the_review_pages_are_for_reviewers_only(
    client_as, map_people, role, unpublished, report_map, private
):
    if private:
        report_map.visibility = "private"
        report_map.save()
    client = client_as(map_people[role])

    for url in (
        reverse("reports:review", args=[report_map.slug]),
        reverse("reports:review_edit", args=[report_map.slug, unpublished.pk]),
    ):
        response = client.get(url)
        if role in REVIEWERS:
            assert response.status_code == 200, url
            assert "+254799000222" in response.content.decode() or url.endswith("/review/")
        else:
            assert refused(response, role), (url, response.status_code)
            assert "Waiting tap report" not in response.content.decode()
    # Nobody outside the reviewers gets to lock or change a report.
    unpublished.refresh_from_db()
    assert (unpublished.locked_by is not None) is (role in REVIEWERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_review_actions_refuse_everyone_but_reviewers(client_as, map_people, role, unpublished, report_map):
    client = client_as(map_people[role])

    client.post(
        reverse("reports:review_bulk", args=[report_map.slug]),
        {"action": "publish", "reports": [unpublished.pk]},
    )
    client.post(
        reverse("reports:review_edit", args=[report_map.slug, unpublished.pk]),
        {
            "title": "Changed",
            "event_at": "2024-01-01T10:00",
            "location_precision": "exact",
            "then": "publish",
        },
    )

    unpublished.refresh_from_db()
    assert (unpublished.status == Report.Status.PUBLISHED) is (role in REVIEWERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_management_pages_are_for_coordinators_only(client_as, map_people, role, report_map, categories):
    client = client_as(map_people[role])

    for url in (
        reverse("reports:manage", args=[report_map.slug]),
        reverse("reports:manage_reviewers", args=[report_map.slug]),
        reverse("reports:manage_categories", args=[report_map.slug]),
        reverse("reports:manage_category", args=[report_map.slug, categories["urgent"].pk]),
        reverse("reports:create", args=[report_map.initiative.slug]),
    ):
        response = client.get(url)
        if role in COORDINATORS:
            assert response.status_code == 200, url
        else:
            assert refused(response, role), (url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_management_changes_refuse_everyone_but_coordinators(
    client_as, map_people, role, report_map, categories
):
    client = client_as(map_people[role])

    client.post(reverse("reports:manage_category_delete", args=[report_map.slug, categories["unsafe"].pk]))
    client.post(reverse("reports:manage_reviewer_remove", args=[report_map.slug, map_people["reviewer"].pk]))

    assert report_map.categories.filter(pk=categories["unsafe"].pk).exists() is (role not in COORDINATORS)
    assert report_map.reviewers.filter(pk=map_people["reviewer"].pk).exists() is (role not in COORDINATORS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_initiatives_map_list_shows_private_maps_only_to_those_who_may_open_them(
    client_as, map_people, role, report_map
):
    report_map.visibility = "private"
    report_map.save()

    response = get(
        client_as, map_people[role], reverse("reports:initiative_maps", args=[report_map.initiative.slug])
    )

    assert response.status_code == 200
    assert ("Water problems in Kibera" in response.content.decode()) is (role in REVIEWERS)
    assert ("New report map" in response.content.decode()) is (role in COORDINATORS)


@pytest.mark.django_db
def test_evidence_originals_are_not_under_the_public_media_folder(evidence, settings, client):
    assert not evidence.file.path.startswith(str(settings.MEDIA_ROOT))
    assert evidence.file.path.startswith(str(settings.SAMEN_PRIVATE_MEDIA_ROOT))
    # Guessing the stored name under /media/ finds nothing.
    assert client.get(f"{settings.MEDIA_URL}{evidence.file.name}").status_code == 404
