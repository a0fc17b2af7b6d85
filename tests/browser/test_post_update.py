"""Journey: the owner posts an update; it is on the initiative's page and its followers get it by e-mail."""

import re

import pytest
from playwright.sync_api import expect

from samen.initiatives.models import Update

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser


def test_the_owner_posts_an_update_and_followers_are_mailed(page, owner, member, initiative, mailoutbox):
    log_in(page, owner)
    visit(page, f"/initiatives/{initiative.slug}/")
    page.get_by_role("link", name="Post an update").click()
    expect(page).to_have_url(re.compile(rf"/initiatives/{initiative.slug}/updates/new/$"))
    check_a11y(page)

    page.get_by_label("Title").fill("The first well is dug")
    page.get_by_label("Text").fill("It took **nine days** and 14 volunteers.")
    page.get_by_role("button", name="Post the update").click()

    # Wait for the redirect before asking the database: the POST is handled in the server's thread.
    expect(page).to_have_url(re.compile(rf"/initiatives/{initiative.slug}/updates/\d+/$"))
    update = Update.objects.get(initiative=initiative)
    assert page.url.endswith(f"/updates/{update.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The first well is dug")
    expect(page.locator("strong", has_text="nine days")).to_be_visible()
    check_a11y(page)

    visit(page, f"/initiatives/{initiative.slug}/")
    updates = page.get_by_role("region", name="Updates")
    expect(updates.get_by_role("link", name="The first well is dug")).to_be_visible()
    expect(updates.get_by_text("No updates yet.")).to_have_count(0)

    # The follower (Mia) is mailed; the owner wrote it and the team member does not follow.
    mailed = [message for message in mailoutbox if "The first well is dug" in message.subject]
    assert [message.to for message in mailed] == [[member.email]]
    assert f"/initiatives/{initiative.slug}/updates/{update.pk}/" in mailed[0].body
