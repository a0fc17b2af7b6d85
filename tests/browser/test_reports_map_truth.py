"""The map tells the truth, in the browser: it opens on the published reports, "Show the reports
everywhere" works with JavaScript, /maps/ is in the site menu, and a reviewer sees the report's
place on a small map. Axe runs on every state; the pages are looked at 360 pixels wide too.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from samen.reports.models import Report

from .checks import assert_reflows, open_the_map, wait_for_the_map
from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

NARROW_360 = {"width": 360, "height": 740}
# Far from the map's default view (Kibera at zoom 13): a map that did not fit its reports would
# show none of these.
TOWNS = {
    "Mombasa": (Decimal("-4.05"), Decimal("39.66")),
    "Kisumu": (Decimal("-0.09"), Decimal("34.77")),
    "Eldoret": (Decimal("0.51"), Decimal("35.27")),
}


@pytest.fixture
def spread_reports(make_report):
    made = {}
    for town, (lat, lng) in TOWNS.items():
        made[town] = make_report(
            title=f"No water in {town}", status=Report.Status.PUBLISHED, latitude=lat, longitude=lng
        )
    make_report(
        title="Somewhere without a place", status=Report.Status.PUBLISHED, latitude=None, longitude=None
    )
    make_report(title="Not published yet", latitude=Decimal("3.5"), longitude=Decimal("41.5"))
    return made


def test_the_first_view_fits_every_published_report(browsing, report_map, spread_reports):
    page = browsing.new_page(viewport=NARROW_360)

    open_the_map(page, f"/maps/{report_map.slug}/")

    # Three published reports with a place are in view; the list is of every report.
    expect(page.locator("#map-status")).to_have_text("Reports on the map: 3.")
    expect(page.locator("#list-heading")).to_have_text("4 reports")
    assert_reflows(page, "the map at 360 px")


def test_show_the_reports_everywhere_works_with_javascript(browsing, report_map, spread_reports):
    page = browsing.new_page()
    lat, lng = TOWNS["Mombasa"]
    open_the_map(page, f"/maps/{report_map.slug}/?bbox={lat - 1},{lng - 1},{lat + 1},{lng + 1}")
    list_ = page.locator("#report-list")
    expect(page.locator("#list-heading")).to_have_text("1 report in this area")
    address = page.url

    list_.get_by_role("link", name="Show the reports everywhere").click()
    wait_for_the_map(page)

    expect(page.locator("#list-heading")).to_have_text("4 reports")
    expect(page.locator("#map-status")).to_have_text("Reports on the map: 3.")
    for town in TOWNS:
        expect(list_.get_by_role("link", name=f"No water in {town}")).to_be_visible()
    assert page.url == address, "the page was loaded again rather than updated"
    # The filters now ask for everywhere too.
    expect(page.locator("#map-filters input[name=bbox]")).to_have_value("")


def test_the_site_menu_leads_to_the_report_maps(browsing, report_map, spread_reports):
    page = browsing.new_page(viewport=NARROW_360)
    visit(page, "/")

    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Report maps").click()
    check_a11y(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Report maps")
    expect(page.locator("main")).to_contain_text("4 published reports")
    assert_reflows(page, "/maps/ at 360 px")
    with page.expect_navigation():
        page.get_by_role("link", name=report_map.title).click()
    wait_for_the_map(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(report_map.title)


def test_the_maps_index_works_without_javascript(browsing, report_map):
    page = browsing.new_page(javascript=False, viewport=NARROW_360)
    visit(page, "/maps/")
    expect(page.get_by_role("link", name=report_map.title)).to_be_visible()
    assert_reflows(page, "/maps/ without JavaScript")


def test_a_reviewer_sees_the_place_of_the_report_and_the_queue_counts(
    browsing, report_map, reviewer, make_report
):
    report = make_report(title="Tap broken at the school", place_name="Olympic school")
    page = browsing.new_page(member=reviewer, viewport=NARROW_360)

    visit(page, f"/maps/{report_map.slug}/review/")
    expect(page.get_by_role("link", name="Received: 1")).to_be_visible()
    assert_reflows(page, "the review queue at 360 px")

    visit(page, f"/maps/{report_map.slug}/review/{report.pk}/")
    place = page.locator("#place-map")
    expect(place).to_be_visible()
    expect(place.locator(".place-marker")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("Olympic school · -1.313000, 36.787000")
    assert_reflows(page, "the review page at 360 px")

    # The marker follows the coordinates the reviewer types.
    page.get_by_label("Latitude").fill("-1.2")
    page.get_by_label("Latitude").blur()
    check_a11y(page)


def test_without_javascript_the_review_page_gives_the_place_as_text(
    browsing, report_map, reviewer, make_report
):
    report = make_report(title="Tap broken at the school", place_name="Olympic school")
    page = browsing.new_page(javascript=False, member=reviewer, viewport=NARROW_360)

    visit(page, f"/maps/{report_map.slug}/review/{report.pk}/")

    expect(page.locator("#place-map")).to_be_hidden()
    expect(page.locator("main")).to_contain_text("Olympic school · -1.313000, 36.787000")
