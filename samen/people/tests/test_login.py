from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from conftest import PASSWORD

from .pages import assert_samen_page


def test_it_logs_in_with_email_and_password(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(member.pk)


def test_the_email_is_not_case_sensitive(client, member):
    client.post(reverse("account_login"), {"login": member.email.upper(), "password": PASSWORD})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_it_follows_next_after_logging_in(client, member):
    response = client.post(
        reverse("account_login"),
        {"login": member.email, "password": PASSWORD, "next": reverse("people:profile_edit")},
    )
    assert response.url == reverse("people:profile_edit")


def test_a_wrong_password_shows_an_error_and_keeps_the_email(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": "wrong password"})
    assert_samen_page(response)
    html = response.content.decode()
    assert 'class="errorlist nonfield"' in html
    assert f'value="{member.email}"' in html
    assert "wrong password" not in html  # a password is never sent back
    assert SESSION_KEY not in client.session


def test_the_login_page_offers_sign_up_and_password_reset(client, db):
    html = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_signup")}"' in html
    assert f'href="{reverse("account_reset_password")}"' in html


def test_a_login_required_page_sends_people_to_log_in_and_back(client, db):
    response = client.get(reverse("people:profile_edit"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('people:profile_edit')}"
