"""Journey: a visitor signs up through allauth's form and lands signed in, on their profile."""

import re

import pytest
from playwright.sync_api import expect

from samen.people.models import Member

from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase 42"


def test_a_visitor_signs_up_and_lands_signed_in(page, mailoutbox):
    visit(page, "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    check_a11y(page)

    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/people/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_text("You log in with nadia@example.org.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    check_a11y(page)

    member = Member.objects.get(email="nadia@example.org")
    assert member.check_password(PASSWORD)
    # E-mail verification is optional here: the address is confirmed later, from the mail.
    assert [message.to for message in mailoutbox] == [["nadia@example.org"]]


def test_a_mistyped_second_password_is_shown_inline_and_the_email_is_kept(page):
    visit(page, "/accounts/signup/")

    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_text("You must type the same password each time.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("nadia@example.org")
    check_a11y(page)
    assert not Member.objects.filter(email="nadia@example.org").exists()
