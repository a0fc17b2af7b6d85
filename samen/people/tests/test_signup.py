from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from samen.people.models import Member

from .pages import assert_samen_page

NEW_PASSWORD = "a long and unusual passphrase"


def sign_up(client, email="nadia@example.org", password1=NEW_PASSWORD, password2=NEW_PASSWORD):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password1, "password2": password2}
    )


def test_signing_up_creates_a_member_and_leads_to_the_profile(client, db):
    response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("people:profile_edit")
    member = Member.objects.get(email="nadia@example.org")
    assert member.check_password(NEW_PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)


def test_signing_up_sends_a_verification_email(client, db):
    sign_up(client)
    assert [message.to for message in mail.outbox] == [["nadia@example.org"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("[Samen]")


def test_the_email_is_stored_in_lower_case(client, db):
    sign_up(client, email="Nadia@Example.org")
    assert Member.objects.filter(email="nadia@example.org").exists()


def test_different_passwords_show_an_error_and_keep_the_email(client, db):
    response = sign_up(client, password2="something else entirely")
    assert_samen_page(response)
    html = response.content.decode()
    assert 'class="errorlist"' in html
    assert 'value="nadia@example.org"' in html
    assert not Member.objects.exists()


def test_a_weak_password_is_refused(client, db):
    response = sign_up(client, password1="password", password2="password")
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert not Member.objects.exists()


def test_an_address_that_is_taken_is_refused_whatever_its_case(client, member):
    # With optional verification allauth says so on the form; with mandatory verification it
    # would e-mail the address's owner instead, to avoid revealing who has an account.
    response = sign_up(client, email=member.email.upper())
    assert_samen_page(response)
    assert "already registered" in response.content.decode()
    assert Member.objects.filter(email__iexact=member.email).count() == 1
