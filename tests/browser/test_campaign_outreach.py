"""Journey: a campaign's organiser writes an outreach message in two variants (JavaScript off), a
promoter takes it from their own page and gets links of their own, a visitor comes in through
variant B on X and pledges, and once the pledge is paid the organiser's dashboard credits it to
"Variant B · X" and to the promoter. On the way the organiser fixes a text. axe checks every page.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from samen.giving import actions
from samen.giving.models import Campaign, CampaignProject, Donation, Promoter

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def promoter(outsider, initiative, member):
    now = timezone.now()
    campaign = Campaign.objects.create(
        slug="24-hour-action",
        title="The 24-hour action",
        description="24 promoters raise money for 24 projects in 24 hours.",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=23),
        currency="EUR",
        organiser=outsider,
    )
    project = CampaignProject.objects.create(campaign=campaign, initiative=initiative, target_minor=500_000)
    return Promoter.objects.create(
        campaign=campaign, member=member, project=project, story="I walk for water.", target_minor=100_000
    )


def _row(page, caption: str, label: str):
    table = page.locator("table", has=page.locator("caption", has_text=re.compile(f"^{caption}$")))
    return table.locator("tr", has=page.get_by_role("rowheader", name=label, exact=True))


def test_a_campaign_message_shared_by_a_promoter_credits_a_gift_to_variant_channel_and_promoter(
    browsing, nojs_page, promoter, outsider, member
):
    campaign = promoter.campaign
    organiser = nojs_page
    log_in(organiser, outsider)
    visit(organiser, campaign.get_absolute_url())
    with organiser.expect_navigation():
        organiser.get_by_role("link", name="Outreach: messages and what they bring").click()
    expect(organiser.get_by_role("heading", level=1)).to_have_text("Outreach: which message lands")
    check_a11y(organiser)
    with organiser.expect_navigation():
        organiser.get_by_role("link", name="Write a new message").click()
    check_a11y(organiser)
    organiser.get_by_label("Name").fill("Last six hours")
    organiser.get_by_label("Variant A: share text").fill("Six hours left: every euro counts.")
    organiser.get_by_label("Variant B: share text (optional)").fill("300 families, one tap. Give now.")
    with organiser.expect_navigation():
        organiser.get_by_role("button", name="Create the message").click()
    expect(organiser.get_by_role("heading", level=1)).to_have_text("Last six hours")
    expect(organiser.get_by_role("status")).to_contain_text("Your message is ready")
    check_a11y(organiser)
    expect(organiser.get_by_role("link", name="Back to outreach")).to_have_attribute(
        "href", f"/give/campaigns/{campaign.slug}/outreach/"
    )
    # A typo is fixed without touching the links.
    with organiser.expect_navigation():
        organiser.get_by_role("link", name="Change the texts").click()
    check_a11y(organiser)
    organiser.get_by_label("Variant A: share text").fill("Six hours left: every euro counts double.")
    with organiser.expect_navigation():
        organiser.get_by_role("button", name="Save the texts").click()
    expect(organiser.get_by_role("status")).to_contain_text("Its links stay the same")
    check_a11y(organiser)

    # The promoter finds the message on their own page and takes links of their own.
    mine = browsing.new_page(member=member)
    visit(mine, promoter.get_absolute_url())
    # The QR code for printing is drawn (an SVG without its namespace shows only the alt text).
    qr = mine.locator('img[src$="qr.svg"]')
    qr.evaluate("img => img.decode()")
    assert qr.evaluate("img => img.naturalWidth") > 0
    mine.get_by_role("link", name="Last six hours").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Spread the word for The 24-hour action")
    check_a11y(mine)
    field = mine.locator('input[data-variant="B"][data-channel="x"]')
    link_b_x = "/l/" + field.input_value().rsplit("/l/", 1)[1]

    # A visitor comes in from X on variant B, lands on the promoter's page and pledges 25 euros.
    visitor = browsing.new_page()
    visit(visitor, link_b_x)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(member.name)
    visitor.get_by_label("Amount").fill("25")
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("E-mail").fill("vera@example.org")
    visitor.get_by_role("radio").first.check()
    visitor.get_by_role("button", name="Give").click()
    expect(visitor.get_by_role("status")).to_contain_text("Thank you")
    check_a11y(visitor)
    donation = Donation.objects.get(email="vera@example.org")
    assert donation.promoter == promoter
    assert actions.mark_paid(donation)

    # The organiser's dashboard credits the gift to variant B on X, and to the promoter.
    organiser.reload()
    check_a11y(organiser)
    expect(_row(organiser, "Per variant and channel", "Variant B · X").locator("td").nth(3)).to_have_text("1")
    expect(_row(organiser, "Per variant", "Variant B").locator("td").nth(9)).to_have_text("€25.00")
    expect(_row(organiser, "Per variant", "Variant A").locator("td").nth(3)).to_have_text("0")
    expect(_row(organiser, "Per promoter", member.display_name).locator("td").nth(3)).to_have_text("1")
