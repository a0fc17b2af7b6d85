import re

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD

from .pages import assert_samen_page

NEW_PASSWORD = "a brand new passphrase for mia"


def reset_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_member_can_reset_a_forgotten_password(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.url == reverse("account_reset_password_done")
    assert [message.to for message in mail.outbox] == [[member.email]]

    # allauth moves the key from the URL into the session before showing the form, so that
    # the key does not leak through the Referer header of the page.
    form_page = client.get(reset_path(mail.outbox[0]), follow=True)
    assert_samen_page(form_page)
    form_url = form_page.redirect_chain[-1][0]

    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.url == reverse("account_reset_password_from_key_done")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert not member.check_password(PASSWORD)


def test_the_new_password_logs_in(client, member):
    client.post(reverse("account_reset_password"), {"email": member.email})
    form_url = client.get(reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()
    client.post(reverse("account_login"), {"login": member.email, "password": NEW_PASSWORD})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_reset_link_works_only_once(client, member):
    client.post(reverse("account_reset_password"), {"email": member.email})
    path = reset_path(mail.outbox[0])
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(path, follow=True)
    assert_samen_page(again)
    assert f'href="{reverse("account_reset_password")}"' in again.content.decode()


def test_mismatched_new_passwords_show_an_error(client, member):
    client.post(reverse("account_reset_password"), {"email": member.email})
    form_url = client.get(reset_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": "something else"})
    assert_samen_page(response)
    assert 'class="errorlist"' in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer(client, db):
    # Whether someone has an account is not for a stranger to find out.
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.url == reverse("account_reset_password_done")
