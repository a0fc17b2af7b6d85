"""Merging a near-duplicate, or saying it is not one, from the review page."""

import pytest
from django.urls import reverse

from samen.reports.models import Report


@pytest.mark.django_db
def test_the_review_page_offers_to_merge_a_flagged_report(client_as, reviewer, make_report):
    original = make_report(title="Original")
    copy = make_report(title="Copy", near_duplicate_of=original)

    page = (
        client_as(reviewer)
        .get(reverse("reports:review_edit", args=[copy.report_map.slug, copy.pk]))
        .content.decode()
    )

    assert "Possible duplicate" in page
    assert f'name="into" id="merge-into" value="{original.pk}"' in page


@pytest.mark.django_db
def test_merging_from_the_page_hides_the_copy_from_the_public(client, client_as, reviewer, make_report):
    original = make_report(title="Original", status=Report.Status.PUBLISHED)
    copy = make_report(title="Copy", status=Report.Status.PUBLISHED, near_duplicate_of=original)
    slug = copy.report_map.slug

    response = client_as(reviewer).post(
        reverse("reports:review_merge", args=[slug, copy.pk]), {"into": original.pk}
    )

    copy.refresh_from_db()
    assert response["Location"] == reverse("reports:review_edit", args=[slug, original.pk])
    assert copy.merged_into == original
    assert client.get(reverse("reports:detail", args=[slug, copy.pk])).status_code == 404
    reviewer_page = client_as(reviewer).get(reverse("reports:detail", args=[slug, copy.pk])).content.decode()
    assert "This report was merged into" in reviewer_page
    original_page = (
        client_as(reviewer).get(reverse("reports:detail", args=[slug, original.pk])).content.decode()
    )
    assert f"#{copy.pk} Copy" in original_page


@pytest.mark.django_db
def test_merging_into_a_missing_or_foreign_report_is_refused(client_as, reviewer, make_report, initiative):
    from samen.reports.models import ReportMap

    copy = make_report()
    other_map = ReportMap.objects.create(initiative=initiative, slug="other", title="Other")
    foreign = Report.objects.create(report_map=other_map, title="Foreign")
    client = client_as(reviewer)
    url = reverse("reports:review_merge", args=[copy.report_map.slug, copy.pk])

    for into in ("", "abc", str(foreign.pk), "999999"):
        response = client.post(url, {"into": into}, follow=True)
        assert response.status_code == 200
        assert Report.objects.get(pk=copy.pk).merged_into is None, into
    assert "There is no report #999999 on this map." in response.content.decode()


@pytest.mark.django_db
def test_not_a_duplicate_clears_the_flag(client_as, reviewer, make_report):
    original = make_report()
    copy = make_report(near_duplicate_of=original)

    client_as(reviewer).post(reverse("reports:review_not_duplicate", args=[copy.report_map.slug, copy.pk]))

    assert Report.objects.get(pk=copy.pk).near_duplicate_of is None
