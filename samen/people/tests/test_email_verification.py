import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from .pages import assert_samen_page


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(client):
    password = "a long and unusual passphrase"
    client.post(
        reverse("account_signup"),
        {"email": "nadia@example.org", "password1": password, "password2": password},
    )
    return EmailAddress.objects.get(email="nadia@example.org")


def test_following_the_link_and_confirming_verifies_the_address(client, db):
    address = sign_up(client)
    assert not address.verified
    path = confirmation_path(mail.outbox[0])

    page = client.get(path)
    assert_samen_page(page)
    assert "nadia@example.org" in page.content.decode()

    response = client.post(path)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


def test_opening_the_link_alone_does_not_verify(client, db):
    # Mail scanners open links; only the person's own POST confirms.
    address = sign_up(client)
    client.get(confirmation_path(mail.outbox[0]))
    address.refresh_from_db()
    assert not address.verified


def test_the_link_works_in_another_browser(client, db):
    # People often sign up on a computer and open their mail on a phone.
    address = sign_up(client)
    Client().post(confirmation_path(mail.outbox[0]))
    address.refresh_from_db()
    assert address.verified


def test_a_broken_link_says_so_and_offers_a_new_one(client, db):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert_samen_page(response)
    assert f'href="{reverse("account_email")}"' in response.content.decode()
