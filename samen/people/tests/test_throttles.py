"""allauth's limits on logging in, signing up and password resets, on the shared cache.

They used to live in each worker's memory, so two workers allowed twice the tries; they count in
the default cache now (tests/test_throttles_across_processes.py runs them in two processes).
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from samen.people.adapters import AccountAdapter

from .pages import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def account_limits(throttles, settings):
    def tighten(**limits):
        settings.ACCOUNT_RATE_LIMITS = limits

    return tighten


def test_logins_past_the_limit_get_the_sites_page(account_limits, client, member):
    account_limits(login="2/m/ip")
    wrong = {"login": member.email, "password": "not it"}

    answers = [client.post(reverse("account_login"), wrong) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2]
    page = audit(refused)  # the structure assert_samen_page checks on 200 pages
    assert any(href.endswith("samen/samen.css") for href in page.stylesheets)
    assert page.h1_count == 1 and page.back_links and not page.empty_links()
    assert "Please wait a moment" in refused.content.decode()
    assert refused["Retry-After"] == "60"  # the window of the login limit


def test_failed_logins_for_one_address_lock_it_whoever_tries(account_limits, member):
    account_limits(login_failed="2/5m/key")
    wrong = {"login": member.email, "password": "not it"}

    for n in range(2):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(reverse("account_login"), wrong)
    blocked = Client(REMOTE_ADDR="198.51.100.50").post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}
    )

    assert "Too many failed login attempts" in blocked.content.decode()
    assert SESSION_KEY not in blocked.wsgi_request.session


def test_sign_ups_past_the_limit_are_refused(account_limits, client):
    account_limits(signup="1/m/ip")
    fields = {"password1": "a long and unusual passphrase", "password2": "a long and unusual passphrase"}

    first = client.post(reverse("account_signup"), {"email": "one@example.org", **fields})
    Client().logout()
    second = Client().post(reverse("account_signup"), {"email": "two@example.org", **fields})

    assert first.status_code == 302
    assert second.status_code == 429


def test_password_resets_for_one_address_are_limited(account_limits, member):
    account_limits(reset_password="2/m/key")

    answers = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(reverse("account_reset_password"), {"email": member.email})
        for n in range(3)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_allauth_counts_by_the_same_client_address_as_every_throttle(settings, rf):
    settings.SAMEN_PROXY_IP_HEADER = "X-Forwarded-For"
    request = rf.post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.5"}
    )
    assert AccountAdapter().get_client_ip(request) == "203.0.113.5"
