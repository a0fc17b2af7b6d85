"""Journey: another member follows an initiative and unfollows it again.

With JavaScript on, htmx swaps the follow box in place. With it off, the same form posts and the
server redirects back to the page: htmx only enhances.
"""

import pytest
from playwright.sync_api import expect

from samen.initiatives.models import Follow

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser


def test_a_member_follows_and_unfollows_in_place_with_javascript(page, outsider, initiative):
    log_in(page, outsider)
    visit(page, f"/initiatives/{initiative.slug}/")
    box = page.locator("#follow-box")
    expect(box).to_contain_text("1 follower")
    # Marks this document: a full reload would lose it.
    page.evaluate("window.notReloaded = true")

    box.get_by_role("button", name="Follow", exact=True).click()

    expect(box.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(box).to_contain_text("2 followers")
    assert page.evaluate("window.notReloaded") is True
    # The button keeps its id across the swap, so keyboard focus stays on it.
    expect(box.get_by_role("button", name="Unfollow")).to_be_focused()
    check_a11y(page)
    assert Follow.objects.filter(initiative=initiative, member=outsider).exists()

    box.get_by_role("button", name="Unfollow").click()

    expect(box.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(box).to_contain_text("1 follower")
    assert page.evaluate("window.notReloaded") is True
    check_a11y(page)
    assert not Follow.objects.filter(initiative=initiative, member=outsider).exists()


def test_a_member_follows_and_unfollows_with_javascript_off(browsing, outsider, initiative):
    # The page before, after following and after unfollowing is what the test above checks with axe.
    page = browsing.new_page(
        javascript=False, axe_checked_in="test_a_member_follows_and_unfollows_in_place_with_javascript"
    )
    log_in(page, outsider)
    visit(page, f"/initiatives/{initiative.slug}/")
    box = page.locator("#follow-box")
    expect(box).to_contain_text("1 follower")

    with page.expect_navigation():
        box.get_by_role("button", name="Follow", exact=True).click()

    assert page.url.endswith(f"/initiatives/{initiative.slug}/")
    expect(page.get_by_role("status")).to_contain_text("You follow this initiative.")
    expect(box.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(box).to_contain_text("2 followers")
    check_a11y(page)
    assert Follow.objects.filter(initiative=initiative, member=outsider).exists()

    with page.expect_navigation():
        box.get_by_role("button", name="Unfollow").click()

    expect(page.get_by_role("status")).to_contain_text("You no longer follow this initiative.")
    expect(box.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    expect(box).to_contain_text("1 follower")
    check_a11y(page)
    assert not Follow.objects.filter(initiative=initiative, member=outsider).exists()


def test_a_visitor_is_asked_to_log_in_to_follow(page, initiative):
    visit(page, f"/initiatives/{initiative.slug}/")

    page.locator("#follow-box").get_by_role("link", name="Log in to follow").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    assert page.url.endswith(f"/accounts/login/?next=/initiatives/{initiative.slug}/")
    check_a11y(page)
