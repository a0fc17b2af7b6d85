"""Journey: a team writes a message with two variants, people come in through the links, one signs
up and gives (a pledge through the giving app, marked paid by the team), and the dashboard credits
the sign-up and the donation to the right variant and channel.

The team's side runs with JavaScript off (plain forms that post and redirect); the visitors browse
with it on. axe checks every page.
"""

import re

import pytest
from playwright.sync_api import expect

from samen.outreach.models import Conversion, Touch
from samen.people.models import Member

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase 42"


def _short_path(page, variant: str, channel: str) -> str:
    field = page.locator(f'input[data-variant="{variant}"][data-channel="{channel}"]')
    return "/l/" + field.input_value().rsplit("/l/", 1)[1]


def _row(page, caption: str, label: str):
    table = page.locator("table", has=page.locator("caption", has_text=re.compile(f"^{caption}$")))
    return table.locator("tr", has=page.get_by_role("rowheader", name=label, exact=True))


def test_a_message_in_two_variants_credits_a_sign_up_to_the_right_variant_and_channel(
    browsing, nojs_page, owner, initiative
):
    team = nojs_page
    log_in(team, owner)
    visit(team, f"/initiatives/{initiative.slug}/")
    with team.expect_navigation():
        team.get_by_role("link", name="Outreach: messages and what they bring").click()
    expect(team.get_by_role("heading", level=1)).to_have_text("Outreach: which message lands")
    check_a11y(team)
    with team.expect_navigation():
        team.get_by_role("link", name="Write a new message").click()
    check_a11y(team)

    team.get_by_label("Name").fill("Spring appeal")
    team.get_by_label("Variant A: share text").fill("Clean water changes everything.")
    team.get_by_label("Variant B: share text (optional)").fill("One tap, 300 families. Join us.")
    with team.expect_navigation():
        team.get_by_role("button", name="Create the message").click()

    expect(team.get_by_role("heading", level=1)).to_have_text("Spring appeal")
    expect(team.get_by_role("status")).to_contain_text("Your message is ready")
    check_a11y(team)
    # Two variants, each with its own tracked link per channel.
    link_a = _short_path(team, "A", "whatsapp")
    link_b = _short_path(team, "B", "x")
    assert link_a != link_b
    expect(team.get_by_role("link", name=re.compile(r"^Share on X \(variant B"))).to_have_attribute(
        "href", re.compile(r"^https://x\.com/intent/tweet\?text=One%20tap")
    )

    # Someone opens variant A from WhatsApp and leaves.
    reader = browsing.new_page()
    visit(reader, link_a)
    expect(reader).to_have_url(re.compile(f"/initiatives/{initiative.slug}/$"))

    # Someone else opens variant B from X, and signs up.
    joiner = browsing.new_page()
    visit(joiner, link_b)
    expect(joiner.get_by_role("heading", level=1)).to_have_text(initiative.title)
    visit(joiner, "/accounts/signup/")
    joiner.get_by_label("Email").fill("nadia@example.org")
    joiner.get_by_label("Password", exact=True).fill(PASSWORD)
    joiner.get_by_label("Password (again)").fill(PASSWORD)
    joiner.get_by_role("button", name="Sign up").click()
    expect(joiner).to_have_url(re.compile(r"/people/me/$"))
    check_a11y(joiner)

    nadia = Member.objects.get(email="nadia@example.org")
    signup = Conversion.objects.get(member=nadia, kind="signup")
    assert (signup.variant.label, signup.channel) == ("B", "x")
    assert Touch.objects.count() == 2

    # She pledges 25 euros through the giving app, and the team marks the pledge paid.
    visit(joiner, f"/give/to/{initiative.slug}/")
    joiner.get_by_label("Amount").fill("25")
    joiner.get_by_label("Currency").select_option("EUR")
    joiner.get_by_role("radio").first.check()
    joiner.get_by_role("button", name="Give").click()
    expect(joiner.get_by_role("status")).to_contain_text("Thank you")
    check_a11y(joiner)
    visit(team, f"/give/to/{initiative.slug}/donations/")
    with team.expect_navigation():
        team.get_by_role("button", name=re.compile(r"^Mark paid")).click()
    check_a11y(team)
    donation = Conversion.objects.get(kind="donation")
    assert (donation.variant.label, donation.channel, donation.amount_minor) == ("B", "x", 2500)

    # The dashboard shows it on variant B and on X, and nowhere else.
    visit(team, f"/outreach/{initiative.slug}/m/{signup.message_id}/")
    check_a11y(team)
    variant_b = _row(team, "Per variant", "Variant B")
    expect(variant_b.locator("td").nth(0)).to_have_text("1")  # clicks
    expect(variant_b.locator("td").nth(2)).to_have_text("1")  # sign-ups
    expect(variant_b.locator("td").nth(3)).to_have_text("1")  # donations
    expect(variant_b.locator("td").nth(8)).to_have_text("100.0%")
    expect(variant_b.locator("td").nth(9)).to_have_text("€25.00")
    expect(_row(team, "Per variant", "Variant A").locator("td").nth(2)).to_have_text("0")
    expect(_row(team, "Per variant and channel", "Variant B · X").locator("td").nth(2)).to_have_text("1")
    expect(_row(team, "Per variant and channel", "Variant B · X").locator("td").nth(3)).to_have_text("1")
    expect(_row(team, "Per channel", "WhatsApp").locator("td").nth(2)).to_have_text("0")
    expect(_row(team, "Per channel", "WhatsApp").locator("td").nth(3)).to_have_text("0")
    expect(team.get_by_text("No winner yet.")).to_be_visible()


def test_an_unknown_link_shows_a_404_page_with_a_way_home(page):
    visit(page, "/l/nothing1", status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(re.compile(r"/$"))
    check_a11y(page)


def test_a_member_gets_their_own_promoter_links(page, outsider, initiative, owner):
    from samen.outreach import actions

    message = actions.create_message(
        initiative,
        by=owner,
        title="Share me",
        target=initiative.get_absolute_url(),
        variants=[{"label": "A", "text": "Hi"}],
    )
    log_in(page, outsider)
    visit(page, f"/outreach/{initiative.slug}/m/{message.pk}/share/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Spread the word for {initiative.title}")
    path = _short_path(page, "A", "linkedin")
    visit(page, path)
    assert Touch.objects.get().promoter == outsider
