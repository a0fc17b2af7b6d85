"""The page of a background CSV import, with JavaScript off on a narrow screen: a labelled progress
bar, axe, and an offer to carry on an import whose worker stopped. (Its Refresh header is tested in
samen/reports/tests/test_csv_import_page.py.)"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samen.reports.models import ImportJob

from .checks import NARROW, assert_reflows
from .harness import visit

pytestmark = pytest.mark.browser


def test_a_running_import_shows_its_progress_and_a_stalled_one_can_carry_on(browsing, owner, report_map):
    job = ImportJob.objects.create(
        report_map=report_map,
        filename="haiti.csv",
        file="imports/none.csv",
        state=ImportJob.State.RUNNING,
        rows_total=200,
        rows_done=50,
        heartbeat_at=timezone.now(),
    )
    page = browsing.new_page(javascript=False, viewport=NARROW, member=owner)
    # Stopped from looking again by itself, so that no refresh runs while the test changes the job.
    response = visit(page, f"/maps/{report_map.slug}/import/{job.pk}/?refresh=off")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Importing haiti.csv")
    expect(page.get_by_label("50 of 200 rows read")).to_have_attribute("value", "50")
    assert "refresh" not in response.headers
    assert_reflows(page, "the import's progress")

    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    response = visit(page, f"/maps/{report_map.slug}/import/{job.pk}/")
    expect(page.locator("main")).to_contain_text("has stopped answering")
    expect(page.get_by_role("button", name="Carry on with the import")).to_be_visible()
    assert "refresh" not in response.headers  # a stalled import does not keep asking
