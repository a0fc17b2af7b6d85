"""Journey: a member starts an initiative through the form and sees its page."""

import re

import pytest
from playwright.sync_api import expect

from samen.initiatives.models import Initiative, TeamMember

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser


def test_a_member_starts_an_initiative_and_sees_its_page(page, outsider):
    log_in(page, outsider)
    visit(page, "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Start an initiative").click()
    expect(page).to_have_url(re.compile(r"/initiatives/new/$"))
    check_a11y(page)

    page.get_by_label("Title").fill("Solar lamps for Jacmel")
    page.get_by_label("Summary").fill("Lamps that charge by day, so children can read at night.")
    page.get_by_label("Story").fill("We are *twelve* families in Jacmel.\n\n- 40 lamps\n- one workshop")
    page.get_by_role("checkbox", name="Education").check()
    page.get_by_role("checkbox", name="Environment and climate").check()
    page.get_by_label(re.compile(r"^Place:?$")).fill("Jacmel, Haiti")
    page.get_by_role("button", name="Start the initiative").click()

    expect(page).to_have_url(re.compile(r"/initiatives/solar-lamps-for-jacmel/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Solar lamps for Jacmel")
    expect(page.get_by_text("Your initiative is ready.")).to_be_visible()
    expect(page.get_by_text("Lamps that charge by day, so children can read at night.")).to_be_visible()
    # The story's Markdown is rendered, not shown as typed.
    expect(page.locator(".story em")).to_have_text("twelve")
    expect(page.locator(".story li")).to_have_text(["40 lamps", "one workshop"])
    about = page.get_by_role("complementary", name="About this initiative")
    expect(about.get_by_text("Jacmel, Haiti")).to_be_visible()
    expect(about.get_by_text("Education", exact=True)).to_be_visible()
    expect(about.get_by_text("Environment and climate")).to_be_visible()
    expect(about.get_by_role("link", name="Edit the initiative")).to_be_visible()
    check_a11y(page)

    initiative = Initiative.objects.get(slug="solar-lamps-for-jacmel")
    assert initiative.causes == ["education", "environment"]
    assert initiative.status == Initiative.Status.OPEN
    assert list(initiative.team.values_list("member", "role")) == [(outsider.pk, TeamMember.Role.OWNER)]


def test_a_form_without_a_title_is_shown_again_with_what_was_typed(page, outsider):
    log_in(page, outsider)
    visit(page, "/initiatives/new/")

    page.get_by_label("Summary").fill("Lamps that charge by day.")
    # The browser's own check would stop an empty required field; the server's check is the one under test.
    page.locator("main form").evaluate("(form) => { form.noValidate = true; }")
    page.get_by_role("button", name="Start the initiative").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Start an initiative")
    expect(page.get_by_label("Summary")).to_have_value("Lamps that charge by day.")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    assert not Initiative.objects.exists()
