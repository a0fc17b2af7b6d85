"""Journey: a text that matches no map waits in the coordinators' inbox until one puts it on a map.

1. A text reaches a number two maps share, without either map's keyword: routing cannot tell
   which map it is for, so it waits.
2. The owner sees "1 message matched no map" on the review queue, follows it to the inbox, sees the
   sender and the text, and puts it on the water map with a title of their own.
3. It is a report in that map's review queue.

With JavaScript on (axe checks every page), and with it off on a 360-pixel screen (the inbox
works and reflows; discarding works too).
"""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import form
from samen.reports.models import Report, ReportMap

from .checks import assert_reflows, assert_useful_without_javascript
from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

TEXT = "The bridge on Kibera Drive is under water since this morning"
SENDER = "+254712000222"
SMALL = {"width": 360, "height": 740}


def text_arrives(report_map, message_id="journey-1") -> InboundMessage:
    ReportMap.objects.create(
        initiative=report_map.initiative,
        slug="kibera-roads",
        title="Roads in Kibera",
        channels=["sms"],
        sms_keyword="ROAD",
        sms_number=report_map.sms_number,
    )
    phone = Channel.objects.create(kind="smssync", name="Kibera phone", secret="smssync-secret")
    fields = {"message": TEXT, "from": SENDER, "sent_to": report_map.sms_number, "message_id": message_id}
    response = Client().post(
        reverse("gateways:smssync", args=[phone.pk]), data={**form("smssync_incoming.form"), **fields}
    )
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.is_unmatched, "the text should match no map"
    return message


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def test_a_text_that_matches_no_map_is_put_on_a_map_from_the_inbox(browsing, report_map, owner):
    message = text_arrives(report_map)
    page = browsing.new_page(member=owner)

    visit(page, f"/maps/{report_map.slug}/review/")
    expect(page.locator("main")).to_contain_text("1 message matched no map.")
    click_and_wait(page, page.get_by_role("link", name="Put it on a map"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Messages that need a map")
    card = page.locator(f"#message-{message.pk}")
    expect(card).to_contain_text(SENDER)
    expect(card).to_contain_text(TEXT)
    card.get_by_label("Map").select_option(label=f"{report_map.title} ({report_map.initiative.title})")
    card.get_by_label("Title (optional)").fill("Bridge flooded on Kibera Drive")
    click_and_wait(page, card.get_by_role("button", name="Make it a report on this map"))

    report = Report.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"report #{report.pk}")
    expect(page.locator("main")).to_contain_text("Nothing is waiting")
    assert (report.report_map, report.title, report.description) == (
        report_map,
        "Bridge flooded on Kibera Drive",
        TEXT,
    )
    assert report.reporter_contact == SENDER

    click_and_wait(page, page.get_by_role("link", name=f"Back to the review queue of “{report_map.title}”"))
    expect(page.get_by_role("row").filter(has_text="Bridge flooded on Kibera Drive")).to_contain_text(
        "Received"
    )


def test_the_inbox_works_without_javascript_on_a_small_screen(browsing, report_map, owner):
    message = text_arrives(report_map, message_id="journey-2")
    page = browsing.new_page(member=owner, javascript=False, viewport=SMALL)

    visit(page, "/maps/inbox/")
    assert_useful_without_javascript(page, TEXT)
    assert_reflows(page, "/maps/inbox/")

    click_and_wait(page, page.locator(f"#message-{message.pk}").get_by_role("button", name="Discard"))
    expect(page.get_by_role("status")).to_contain_text("Discarded")
    message.refresh_from_db()
    assert message.state == InboundMessage.State.DISCARDED
    assert_reflows(page, "/maps/inbox/ after discarding")
