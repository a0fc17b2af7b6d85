"""Giving in a real browser: the 24-hour action journey, every giving page with axe, and JavaScript off.

The journey: a promoter joins a campaign and gets a share link; a visitor pledges through that link;
the leaderboard (open in another tab) updates without a reload; the owner marks the pledge paid; the
receipt e-mail goes out.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from samen.giving import actions
from samen.giving.models import Campaign, CampaignProject, Donation, FundraisingGoal, MatchingFund, Promoter

from .checks import assert_useful_without_javascript
from .harness import check_a11y, check_a11y_settled, log_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign(outsider, initiative, settings):
    settings.SAMEN_GIVING_POLL_SECONDS = 1
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
    CampaignProject.objects.create(campaign=campaign, initiative=initiative, target_minor=500_000)
    MatchingFund.objects.create(campaign=campaign, sponsor="Water Foundation", cap_minor=10_000)
    FundraisingGoal.objects.create(
        initiative=initiative, amount_minor=200_000, currency="EUR", deadline=now + timedelta(days=20)
    )
    return campaign


def test_promoter_joins_visitor_pledges_leaderboard_updates_owner_marks_paid_receipt_goes_out(
    browsing, campaign, initiative, member, owner, settings
):
    # Only the leaderboard tab polls quickly: a poll landing between two axe checks of another tab
    # would be a state nobody checked.
    settings.SAMEN_GIVING_POLL_SECONDS = 600
    # 1. A promoter joins and gets a share link.
    promoter_page = browsing.new_page(member=member)
    visit(promoter_page, f"/give/campaigns/{campaign.slug}/")
    promoter_page.get_by_role("link", name="Become a promoter").click()
    expect(promoter_page.get_by_role("heading", level=1)).to_have_text("Become a promoter")
    check_a11y(promoter_page)
    promoter_page.get_by_label("The project you raise money for").select_option(label=initiative.title)
    promoter_page.get_by_label("Your story").fill(
        "My grandmother walked two hours for water. Help me end that."
    )
    promoter_page.get_by_label("Your target").fill("250")
    promoter_page.get_by_role("button", name="Join the campaign").click()
    expect(promoter_page.get_by_role("heading", level=1)).to_contain_text("Mia Member raises money for")
    check_a11y(promoter_page)
    share_link = promoter_page.get_by_label("Link").input_value()
    assert "/l/" in share_link or "/promoters/" in share_link
    expect(promoter_page.locator("[data-channel=whatsapp]")).to_have_count(1)
    expect(promoter_page.get_by_role("img", name="QR code that opens Mia Member's page")).to_be_visible()
    promoter = Promoter.objects.get(member=member)

    # Someone watches the leaderboard meanwhile.
    settings.SAMEN_GIVING_POLL_SECONDS = 1
    board = browsing.new_page()
    visit(board, f"/give/campaigns/{campaign.slug}/leaderboard/")
    expect(board.locator("#promoter-board")).to_contain_text("€0.00")
    board.evaluate("window.notReloaded = true")

    # 2. A visitor pledges through the share link.
    visitor = browsing.new_page()
    visitor.goto(share_link)
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Mia Member raises money for")
    check_a11y(visitor)
    visitor.get_by_label("Amount").fill("25")
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("Your e-mail address").fill("vera@example.org")
    visitor.get_by_label("Pledge (pay the initiative directly)").check()
    visitor.get_by_role("button", name="Give").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Your gift")
    expect(visitor.get_by_role("status")).to_contain_text("Thank you! Your pledge is recorded.")
    check_a11y(visitor)
    donation = Donation.objects.get()
    assert (donation.promoter, donation.state) == (promoter, "pending")

    # 3. The leaderboard updates without a reload.
    expect(board.locator("#promoter-board")).to_contain_text("€25.00")
    expect(board.locator("#campaign-total")).to_contain_text("plus €25.00 matched: €50.00 in all")
    assert board.evaluate("window.notReloaded") is True
    check_a11y_settled(board)
    board.close()  # it keeps polling; every state it showed has been checked

    # 4. The owner marks the pledge paid.
    owner_page = browsing.new_page(member=owner)
    visit(owner_page, f"/give/to/{initiative.slug}/donations/")
    expect(owner_page.get_by_role("table", name="Donations, newest first")).to_contain_text("Vera Visitor")
    assert not mail.outbox
    owner_page.get_by_role("button", name="Mark paid: €25.00 from Vera Visitor").click()
    expect(owner_page.get_by_role("status")).to_contain_text("The donation is now: Paid.")
    check_a11y(owner_page)

    # 5. The receipt e-mail goes out.
    receipt = next(m for m in mail.outbox if m.to == ["vera@example.org"])
    assert "Thank you for your gift to Clean water for Kibera" in receipt.subject
    assert "€25.00" in receipt.body
    donation.refresh_from_db()
    assert donation.state == "succeeded"


GIVING_PAGES = [
    (None, "/give/campaigns/", 200, "The 24-hour action"),
    (None, "/give/campaigns/{campaign}/", 200, "Water Foundation matches 1:1"),
    (None, "/give/campaigns/{campaign}/leaderboard/", 200, "Mia Member"),
    (None, "/give/campaigns/{campaign}/promoters/{promoter}/", 200, "I walk for water"),
    (None, "/give/to/{slug}/", 200, "Fundraising goal"),
    (None, "/give/to/{slug}/?promoter={promoter}", 200, "Your gift counts for Mia Member"),
    (None, "/give/donations/{donation}/", 200, "Thank you for your pledge"),
    (None, "/give/donations/{monthly}/", 200, "Stop my monthly gift"),
    ("owner", "/give/to/{slug}/donations/", 200, "Mark paid"),
    ("owner", "/give/to/{slug}/goal/", 200, "Save the goal"),
    ("outsider", "/give/campaigns/new/", 200, "Create the campaign"),
    ("outsider", "/give/campaigns/{campaign}/manage/", 200, "Add the matching fund"),
    ("owner", "/give/campaigns/{campaign}/join/", 200, "Join the campaign"),
]


@pytest.fixture
def giving_site(campaign, initiative, member):
    project = campaign.projects.get()
    promoter = Promoter.objects.create(
        campaign=campaign, member=member, project=project, story="I walk for water.", target_minor=50_000
    )
    donation, _ = actions.create_donation(
        initiative,
        amount_minor=2_500,
        currency="EUR",
        email="vera@example.org",
        name="Vera",
        promoter=promoter,
    )
    monthly, _ = actions.create_donation(
        initiative, amount_minor=1_000, currency="EUR", email="mo@example.org", name="Mo", monthly=True
    )
    return {
        "campaign": campaign.slug,
        "promoter": promoter.pk,
        "slug": initiative.slug,
        "donation": donation.public_id,
        "monthly": monthly.public_id,
    }


# One browser test per person: emptying the database after a browser test costs more than a page,
# so each person's pages share a test (and a page), and each page is checked as if it were a test
# of its own: every failure is reported, one does not hide the next.
GIVING_GROUPS = sorted({who or "anonymous" for who, *_ in GIVING_PAGES})


@pytest.mark.parametrize("group", GIVING_GROUPS)
def test_every_giving_page_is_useful_without_javascript_and_passes_axe(browsing, giving_site, people, group):
    who = None if group == "anonymous" else group
    page = browsing.new_page(javascript=False)
    if who:
        log_in(page, people[who])
    problems = []
    for person, path, status, text in GIVING_PAGES:
        if person != who:
            continue
        try:
            visit(page, path.format(**giving_site), status=status)
            assert_useful_without_javascript(page, text)
        except AssertionError as problem:
            problems.append(f"{path}:\n{problem}")
    assert not problems, "\n\n".join(problems)


def test_a_visitor_pledges_with_javascript_off(browsing, giving_site, initiative):
    page = browsing.new_page(javascript=False)
    visit(page, f"/give/campaigns/{giving_site['campaign']}/promoters/{giving_site['promoter']}/")
    page.get_by_label("Amount").fill("10")
    page.get_by_label("Your e-mail address").fill("nojs@example.org")
    page.get_by_label("Give anonymously: don't show my name").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Give").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your gift")
    check_a11y(page)
    donation = Donation.objects.get(email="nojs@example.org")
    assert donation.promoter_id == giving_site["promoter"] and donation.anonymous

    visit(page, f"/give/campaigns/{giving_site['campaign']}/leaderboard/")
    expect(page.locator("#promoter-board")).to_contain_text("€35.00")
    with page.expect_navigation():
        page.get_by_role("button", name="Refresh").click()
    expect(page.locator("#promoter-board")).to_contain_text("€35.00")
    check_a11y(page)


def test_a_form_error_is_shown_beside_the_amount(browsing, giving_site):
    page = browsing.new_page()
    visit(page, f"/give/to/{giving_site['slug']}/")
    page.get_by_label("Amount").fill("0.50")
    page.get_by_label("Your e-mail address").fill("small@example.org")
    page.get_by_role("button", name="Give").click()
    expect(page.get_by_text("Give between €1.00 and €10,000.00.")).to_be_visible()
    check_a11y(page)
