"""Every crowd-reports page, as the person who uses it: axe, JavaScript off, and a 320-pixel screen.

The pages reached by a plain link are in PAGES, grouped by who uses them, each loaded with
JavaScript off on a 320-pixel screen (axe runs in a JavaScript twin of the same size); the pages
whose script changes their layout (the map, the report form) are checked on a narrow screen with
it on as well. Those that only a form leads to (the report form
with its errors, the thank-you page, an import's result, a new webhook's secret, the subscription
forms' errors) are reached by filling the form, with JavaScript off and on a narrow screen at once:
with script off these pages are plain HTML, so the narrow check holds for them as they are.

The report journey itself (send, review, publish, see on the map) is in test_report_journey.py;
how the pages link to each other is in test_reports_navigation.py.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samen.reports import notify
from samen.reports.models import Report, ReportMap, Subscription, Webhook, WebhookDelivery

from .checks import NARROW, assert_reflows, assert_useful_without_javascript, open_the_map, wait_for_the_map
from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser

CSV = Path(__file__).resolve().parents[2] / "samen" / "reports" / "tests" / "data" / "v2_haiti_style.csv"

# Who is signed in, then (path, expected status, text that shows the page did its job) for each
# page they use. {map}, {closed}, {initiative}, {published}, {waiting}, {urgent}, {webhook} and the
# subscription tokens are filled in from the `reports_site` fixture below. A group of pages shares
# one test: a browser-test's database is emptied after each test, which takes longer than a page.
AREA = "bbox=-1.4,36.7,-1.2,36.9"
PAGES = {
    "anonymous: the map and its reports": (
        None,
        [
            # Without JavaScript the map is its list.
            ("/maps/{map}/", 200, "Water point broken"),
            (
                "/maps/{map}/?from=2024-02-01&to=2024-01-01",
                200,
                "The end date must be on or after the start date.",
            ),
            ("/maps/{map}/?category={urgent}&" + AREA, 200, "Show the reports everywhere"),
            ("/maps/{map}/?page=2&" + AREA, 200, "Page 2 of 2"),
            ("/maps/{map}/report/", 200, "Send the report"),
            ("/maps/{closed}/report/", 404, "does not take reports through this form"),
            ("/maps/{map}/reports/{published}/", 200, "Call me on [removed]"),
            ("/maps/initiative/{initiative}/", 200, "Water problems in Kibera"),
            ("/maps/{map}/export/", 200, "without the reporters’ contacts"),
        ],
    ),
    "anonymous: alerts": (
        None,
        [
            ("/maps/{map}/subscribe/", 200, "Only this area (optional)"),
            ("/maps/{map}/subscribe/sent/", 200, "Check your e-mail"),
            ("/maps/{map}/subscriptions/{email_pending}/confirm/", 200, "Yes, start the alerts"),
            ("/maps/{map}/subscriptions/{sms_pending}/confirm/", 200, "Code from the SMS"),
            ("/maps/{map}/subscriptions/{confirmed}/confirm/", 200, "Stop these alerts"),
            ("/maps/{map}/subscriptions/{expired}/confirm/", 200, "This confirmation has expired"),
            # Last: opening it stops the alerts that the page before offers to stop.
            ("/maps/{map}/subscriptions/{confirmed}/unsubscribe/", 200, "gets no more alerts"),
        ],
    ),
    "reviewer": (
        "reviewer",
        [
            ("/maps/{map}/?status=received", 200, "Pump handle stolen"),
            ("/maps/{map}/reports/{waiting}/", 200, "For reviewers only"),
            ("/maps/{map}/review/", 200, "Pump handle stolen"),
            ("/maps/{map}/review/{waiting}/", 200, "Save and publish"),
            ("/maps/{map}/export/", 200, "Keep it safe"),
        ],
    ),
    "coordinator": (
        "owner",
        [
            ("/maps/initiative/{initiative}/", 200, "New report map"),
            ("/maps/initiative/{initiative}/new/", 200, "Create the map"),
            ("/maps/{map}/manage/", 200, "How reports arrive"),
            ("/maps/{map}/manage/reviewers/", 200, "Rita Reviewer"),
            ("/maps/{map}/manage/categories/", 200, "Add the category"),
            ("/maps/{map}/manage/categories/{urgent}/", 200, "Save the category"),
            ("/maps/{map}/import/", 200, "Languages of two-part category names"),
            ("/maps/{map}/webhooks/", 200, "https://hooks.example.org/samen"),
            ("/maps/{map}/webhooks/{webhook}/", 200, "Send again"),
        ],
    ),
}


@pytest.fixture
def reports_site(owner, reviewer, report_map, categories, make_report, initiative):
    published = make_report(status=Report.Status.PUBLISHED, primary_category=categories["broken"])
    published.categories.add(categories["broken"])
    waiting = make_report(
        title="Pump handle stolen",
        place_name="Kibera market",
        latitude=None,
        longitude=None,
        reporter_contact="",
    )
    # One more page of the public list than fits on the first (20 a page).
    for number in range(20):
        make_report(
            title=f"Older report {number}",
            status=Report.Status.PUBLISHED,
            event_at=timezone.now() - timedelta(days=number + 1),
            latitude=Decimal("-1.3") - Decimal(number) / 1000,
        )
    closed = ReportMap.objects.create(
        initiative=initiative,
        slug="closed-map",
        title="Closed map",
        channels=["sms"],
        sms_number="+254700000002",
    )
    webhook = Webhook.objects.create(
        report_map=report_map, url="https://hooks.example.org/samen", secret=notify.new_secret()
    )
    WebhookDelivery.objects.create(
        webhook=webhook,
        report=published,
        state=WebhookDelivery.State.FAILED,
        attempts=5,
        response_status=500,
        error="The receiver answered 500.",
    )

    def subscription(channel, address, **fields):
        return Subscription.objects.create(report_map=report_map, channel=channel, address=address, **fields)

    email, sms = Subscription.Channel.EMAIL, Subscription.Channel.SMS
    tokens = {
        "email_pending": subscription(email, "amina@example.org").token,
        "sms_pending": subscription(sms, "+254712000001").token,
        "confirmed": subscription(email, "baraka@example.org", confirmed_at=timezone.now()).token,
        "expired": subscription(
            email, "chege@example.org", created_at=timezone.now() - timedelta(days=30)
        ).token,
    }
    return {
        "people": {"owner": owner, "reviewer": reviewer},
        "values": {
            "map": report_map.slug,
            "closed": closed.slug,
            "initiative": initiative.slug,
            "published": published.pk,
            "waiting": waiting.pk,
            "urgent": categories["urgent"].pk,
            "webhook": webhook.pk,
            **tokens,
        },
    }


def open_as(page, site, who, path, status=200):
    if who:
        log_in(page, site["people"][who])
    return visit(page, path.format(**site["values"]), status=status)


@pytest.fixture
def narrow_nojs_page(browsing):
    return browsing.new_page(javascript=False, viewport=NARROW)


@pytest.mark.parametrize("group", PAGES)
def test_the_reports_pages_work_without_javascript_on_a_narrow_screen(browsing, reports_site, group):
    who, pages = PAGES[group]
    member = reports_site["people"][who] if who else None
    page = browsing.new_page(javascript=False, viewport=NARROW, member=member)
    problems = []

    for path, status, text in pages:
        try:
            # axe runs in a JavaScript twin of the same narrow size (harness.py).
            visit(page, path.format(**reports_site["values"]), status=status)
            assert_useful_without_javascript(page, text)
            back = page.locator("main .back a")
            expect(back).to_have_count(1)
            assert back.get_attribute("href"), "the way back leads nowhere"
            assert_reflows(page, path)
        except AssertionError as problem:
            # Every page is checked, and every failing one reported, as if each were its own test.
            problems.append(f"{path}:\n{problem}")

    assert not problems, "\n\n".join(problems)


def test_the_map_and_the_form_reflow_on_a_narrow_screen_with_javascript(browsing, reports_site):
    """The pages whose script changes their layout: the map draws itself, the form offers a map."""
    page = browsing.new_page(viewport=NARROW)

    open_the_map(page, "/maps/{map}/?page=2".format(**reports_site["values"]))

    expect(page.locator("#report-map")).to_be_visible()
    assert_reflows(page, "the map")
    # The map opens on every published report, and the list is of all of them, at the page asked for.
    expect(page.locator("#list-heading")).to_have_text("21 reports")
    expect(page.locator("#report-list .pagination")).to_contain_text("Page 2 of 2")
    expect(page.locator("#report-list").get_by_role("link", name="Older report 19")).to_be_visible()

    visit(page, "/maps/{map}/report/".format(**reports_site["values"]))

    expect(page.get_by_role("button", name="Choose the place on a map")).to_be_visible()
    assert_reflows(page, "the report form")


def test_reports_without_a_place_stay_reachable_when_the_list_follows_the_map(
    browsing, reports_site, make_report
):
    """With JavaScript the list shows the map's area, which a report without coordinates is never in."""
    make_report(
        title="Taps dry somewhere in Kibera",
        status=Report.Status.PUBLISHED,
        place_name="Kibera",
        latitude=None,
        longitude=None,
    )
    page = browsing.new_page(viewport=NARROW)
    open_the_map(page, "/maps/{map}/?".format(**reports_site["values"]) + AREA)

    expect(page.locator("#list-heading")).to_have_text("21 reports in this area")
    expect(
        page.locator("#report-list").get_by_role("link", name="Taps dry somewhere in Kibera")
    ).to_have_count(0)
    link = page.locator("#report-list").get_by_role(
        "link", name="1 report without a place is not on the map: show it"
    )
    with page.expect_navigation():
        link.click()
    wait_for_the_map(page)

    expect(page.locator("#list-heading")).to_have_text("1 report without a place")
    expect(
        page.locator("#report-list").get_by_role("link", name="Taps dry somewhere in Kibera")
    ).to_be_visible()
    expect(
        page.locator("#report-list").get_by_role("link", name="Show the reports on the map")
    ).to_be_visible()


def submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_the_report_form_shows_errors_beside_the_fields_and_keeps_what_was_typed(
    narrow_nojs_page, reports_site, report_map
):
    page = narrow_nojs_page
    open_as(page, reports_site, None, "/maps/{map}/report/")
    page.get_by_label("Where? (a place name, street or landmark)").fill("Olympic school gate")
    page.get_by_label("Latitude").fill("100")
    page.get_by_label("Longitude").fill("36.78")

    submit(page, "Send the report")

    main = page.locator("main")
    expect(main).to_contain_text("This field is required.")
    expect(main).to_contain_text("Latitude must be between -90 and 90.")
    expect(page.get_by_label("Where? (a place name, street or landmark)")).to_have_value(
        "Olympic school gate"
    )
    expect(page.get_by_label("Longitude")).to_have_value("36.78")
    check_a11y(page)
    assert_reflows(page, "the report form with errors")
    assert not Report.objects.filter(report_map=report_map, place_name="Olympic school gate").exists()

    page.get_by_label("What happened? (a short title)").fill("No water at the school")
    page.get_by_label("Latitude").fill("")
    page.get_by_label("Longitude").fill("")
    submit(page, "Send the report")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your report has arrived")
    report = Report.objects.get(report_map=report_map, title="No water at the school")
    expect(page.locator("main")).to_contain_text(f"Your report number is {report.pk}")
    check_a11y(page)
    assert_reflows(page, "the thank-you page")


def test_a_coordinator_sees_what_happened_to_every_row_of_an_import(
    narrow_nojs_page, reports_site, report_map
):
    page = narrow_nojs_page
    open_as(page, reports_site, "owner", "/maps/{map}/import/")
    page.get_by_label("CSV file").set_input_files(CSV)

    submit(page, "Import")

    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text("reports imported")
    expect(main).to_contain_text("Rows to look at")
    expect(page.get_by_role("table")).to_contain_text("Rejected")
    check_a11y(page)
    assert_reflows(page, "the import result")
    assert_useful_without_javascript(page, "v2_haiti_style.csv")
    assert Report.objects.filter(report_map=report_map, source=Report.Source.IMPORT).exists()


def test_a_coordinator_adds_a_webhook_and_sees_its_secret_once(narrow_nojs_page, reports_site, report_map):
    page = narrow_nojs_page
    open_as(page, reports_site, "owner", "/maps/{map}/webhooks/")
    address = page.get_by_label("Address that receives the reports")
    address.fill("ftp://hooks.example.org/")
    submit(page, "Add")

    expect(page.locator("main")).to_contain_text("Use an http:// or https:// address.")
    expect(address).to_have_value("ftp://hooks.example.org/")
    check_a11y(page)
    assert_reflows(page, "the webhook form with an error")

    address.fill("https://hooks.example.org/second")
    submit(page, "Add")

    webhook = Webhook.objects.get(report_map=report_map, url="https://hooks.example.org/second")
    expect(page.get_by_label("Secret")).to_have_value(webhook.secret)
    check_a11y(page)
    assert_reflows(page, "a new webhook")


def test_the_subscription_forms_explain_what_is_wrong(narrow_nojs_page, reports_site):
    page = narrow_nojs_page
    open_as(page, reports_site, None, "/maps/{map}/subscribe/")
    page.get_by_label("E-mail", exact=True).check()
    page.get_by_label("E-mail address or mobile number").fill("not an address")
    page.get_by_label("South edge (latitude)").fill("-1.4")

    submit(page, "Subscribe")

    main = page.locator("main")
    expect(main).to_contain_text("Give all four edges of the area, or none for the whole map.")
    expect(page.get_by_label("South edge (latitude)")).to_have_value("-1.4")
    expect(page.get_by_label("E-mail address or mobile number")).to_have_value("not an address")
    check_a11y(page)
    assert_reflows(page, "the subscription form with errors")

    visit(page, "/maps/{map}/subscriptions/{sms_pending}/confirm/".format(**reports_site["values"]))
    page.get_by_label("Code from the SMS").fill("000000")
    submit(page, "Confirm")

    expect(page.locator("main")).to_contain_text("That code is not right.")
    check_a11y(page)
    assert_reflows(page, "the SMS code form with an error")
