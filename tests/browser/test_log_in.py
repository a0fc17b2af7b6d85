"""Journey: a member logs in through the real form, then logs out from the header."""

import re

import pytest
from playwright.sync_api import expect

from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

# The root conftest gives every named person this password.
PASSWORD = "correct horse battery staple"


def test_a_member_logs_in_with_the_form_and_logs_out(page, outsider):
    visit(page, "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    check_a11y(page)

    page.get_by_label("Email").fill(outsider.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.get_by_role("link", name="My profile")).to_be_visible()
    check_a11y(page)

    nav.get_by_role("button", name="Log out").click()

    expect(nav.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_have_count(0)
    check_a11y(page)


def test_a_wrong_password_is_refused_inline(page, outsider):
    visit(page, "/accounts/login/")

    page.get_by_label("Email").fill(outsider.email)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()

    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(outsider.email)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    check_a11y(page)
