"""Journey: somebody sends a report on the web form, a reviewer places and publishes it, everyone sees it.

1. An anonymous person types what happened and the name of the place: no coordinates, no map.
2. A reviewer opens it from the queue (which locks it: a coordinator who opens it meanwhile is
   told), types the coordinates, ticks a category and publishes it.
3. The report is on the map (in what clusters.json answers, as a marker) and in the list beside it,
   with the phone number in its text removed and the reporter's contact nowhere.

Once with JavaScript on, and once with it off all the way through: then the map is the list.
With JavaScript on, the reporter may also pick the place on a small map in the form. The run with
JavaScript on checks every page with axe; the run with it off shows the same pages to the same
people, so it does not check them again (harness.py, `axe_checked_in`).
"""

import pytest
from playwright.sync_api import Page, expect

from samen.reports.models import Report

from .checks import open_the_map
from .harness import check_a11y, visit
from .tiles import BLANK_PNG

pytestmark = pytest.mark.browser

TITLE = "No water at the school tap"
TEXT = "The tap at Olympic school is dry since Monday. Call me on +254 712 345 678."
PUBLISHED_TEXT = "The tap at Olympic school is dry since Monday. Call me on [removed]."
PLACE = "Olympic primary school, Kibera"
CONTACT = "amina@example.org"
JAVASCRIPT_JOURNEY = "test_a_web_report_is_reviewed_published_and_shown_on_the_map"


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def send_the_report(page: Page, report_map) -> Report:
    visit(page, f"/maps/{report_map.slug}/report/")
    page.get_by_label("What happened? (a short title)").fill(TITLE)
    page.get_by_label("Tell us more").fill(TEXT)
    page.get_by_label("Where? (a place name, street or landmark)").fill(PLACE)
    page.get_by_label("Your name (optional)").fill("Amina")
    page.get_by_label("Your phone number or e-mail address (optional)").fill(CONTACT)

    click_and_wait(page, page.get_by_role("button", name="Send the report"))

    report = Report.objects.get(report_map=report_map, title=TITLE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your report has arrived")
    expect(page.locator("main")).to_contain_text(f"Your report number is {report.pk}")
    assert (report.source, report.status) == (Report.Source.WEB, Report.Status.RECEIVED)
    assert (report.place_name, report.latitude, report.longitude) == (PLACE, None, None)
    assert report.reporter_contact == CONTACT
    return report


def review_and_publish(
    browsing, reviewer, coordinator, report: Report, categories, *, javascript: bool
) -> None:
    slug = report.report_map.slug
    checked_in = None if javascript else JAVASCRIPT_JOURNEY
    page = browsing.new_page(member=reviewer, javascript=javascript, axe_checked_in=checked_in)
    visit(page, f"/maps/{slug}/review/")
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("No coordinates")

    click_and_wait(page, row.get_by_role("link", name=f"#{report.pk} {TITLE}"))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review report #{report.pk}")
    # The reviewer sees who sent it, and what will be published in place of the phone number.
    expect(page.locator("main")).to_contain_text(CONTACT)
    expect(page.get_by_label("Published description")).to_have_value(PUBLISHED_TEXT)
    report.refresh_from_db()
    assert report.locked_by_id == reviewer.pk
    assert report.status == Report.Status.IN_REVIEW

    # Opened by a coordinator meanwhile: readable, and they are told who is editing it.
    coordinator_page = browsing.new_page(member=coordinator, javascript=javascript, axe_checked_in=checked_in)
    visit(coordinator_page, f"/maps/{slug}/review/{report.pk}/")
    expect(coordinator_page.locator("main")).to_contain_text("Rita Reviewer is editing this report until")

    page.get_by_label("Latitude").fill("-1.3127")
    page.get_by_label("Longitude").fill("36.7865")
    page.get_by_label("Precision").select_option(label="Exact point")
    page.get_by_label("Broken water point").check()
    page.get_by_label("Verified").check()
    click_and_wait(page, page.get_by_role("button", name="Save and publish"))

    expect(page.get_by_role("status")).to_contain_text(f"Saved report #{report.pk}.")
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
    assert (str(report.latitude), str(report.longitude)) == ("-1.312700", "36.786500")
    assert list(report.categories.all()) == [categories["broken"]]
    assert report.verified
    assert report.locked_by_id is None
    assert report.changes.filter(actor__email="rita@example.org").exists()


def assert_in_the_list_without_private_things(page: Page) -> None:
    listing = page.locator("#report-list")
    item = listing.get_by_role("listitem").filter(has_text=TITLE)
    expect(item).to_contain_text(PLACE)
    expect(item).to_contain_text("Broken water point")
    expect(item).to_contain_text(PUBLISHED_TEXT)
    assert_nothing_private(page)


def assert_nothing_private(page: Page) -> None:
    shown = page.content()
    for private in ("712 345 678", "+254712345678", CONTACT, "Amina"):
        assert private not in shown, f"{private!r} is public on {page.url}"


def test_a_web_report_is_reviewed_published_and_shown_on_the_map(
    browsing, report_map, categories, reviewer, owner
):
    report = send_the_report(browsing.new_page(), report_map)

    review_and_publish(browsing, reviewer, owner, report, categories, javascript=True)

    page = browsing.new_page()
    with page.expect_response(lambda response: "/clusters.json?" in response.url) as clusters:
        open_the_map(page, f"/maps/{report_map.slug}/")
    answer = clusters.value.json()
    assert answer["kind"] == "points"
    assert [(point["title"], point["url"]) for point in answer["points"]] == [
        (TITLE, f"/maps/{report_map.slug}/reports/{report.pk}/")
    ]
    assert answer["points"][0]["lat"] == pytest.approx(-1.3127)
    assert answer["points"][0]["lng"] == pytest.approx(36.7865)
    assert CONTACT not in clusters.value.text()
    expect(page.locator("#map-status")).to_have_text("Reports on the map: 1.")
    assert_in_the_list_without_private_things(page)

    marker = page.locator(".map-marker").and_(page.get_by_title(TITLE, exact=True))
    marker.click()
    click_and_wait(page, page.locator(".leaflet-popup").get_by_role("link", name=TITLE))

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text(PUBLISHED_TEXT)
    expect(page.locator("main")).to_contain_text("Yes: a reviewer checked this report")
    assert_nothing_private(page)


def test_the_whole_journey_works_with_javascript_off(browsing, report_map, categories, reviewer, owner):
    report = send_the_report(
        browsing.new_page(javascript=False, axe_checked_in=JAVASCRIPT_JOURNEY), report_map
    )

    review_and_publish(browsing, reviewer, owner, report, categories, javascript=False)

    page = browsing.new_page(javascript=False, axe_checked_in=JAVASCRIPT_JOURNEY)
    visit(page, f"/maps/{report_map.slug}/")
    expect(page.locator("#report-map")).to_be_hidden()
    expect(page.locator("#list-heading")).to_have_text("1 report")
    assert_in_the_list_without_private_things(page)

    click_and_wait(page, page.locator("#report-list").get_by_role("link", name=TITLE))

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text(PLACE)
    expect(page.locator("main")).to_contain_text(PUBLISHED_TEXT)
    assert_nothing_private(page)


def test_with_javascript_the_reporter_may_pick_the_place_on_a_map(browsing, report_map):
    page = browsing.new_page()
    # The form's map asks OpenStreetMap for its tiles until web.py gives the template SAMEN_MAP_TILES
    # as `tiles`; a blank tile stands in for them. Routes added last are tried first.
    page.context.route(
        "https://tile.openstreetmap.org/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG),
    )
    visit(page, f"/maps/{report_map.slug}/report/")
    page.get_by_label("What happened? (a short title)").fill(TITLE)

    page.get_by_role("button", name="Choose the place on a map").click()
    picker = page.get_by_role("region", name="Map: select the place where it happened")
    expect(picker).to_be_visible()
    picker.click()

    expect(page.get_by_label("Latitude")).not_to_have_value("")
    expect(page.get_by_label("How exact is this place?")).to_have_value("near")
    check_a11y(page)
    latitude = float(page.get_by_label("Latitude").input_value())
    longitude = float(page.get_by_label("Longitude").input_value())
    # The middle of the map that opened on the map's default view.
    assert latitude == pytest.approx(float(report_map.default_latitude), abs=0.01)
    assert longitude == pytest.approx(float(report_map.default_longitude), abs=0.01)

    click_and_wait(page, page.get_by_role("button", name="Send the report"))

    report = Report.objects.get(report_map=report_map, title=TITLE)
    assert float(report.latitude) == pytest.approx(latitude, abs=1e-6)
    assert float(report.longitude) == pytest.approx(longitude, abs=1e-6)
    assert report.location_precision == Report.Precision.NEAR
