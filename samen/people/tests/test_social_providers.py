"""LinkedIn and Facebook log-in switch on only when their keys are in the environment."""

import runpy
from pathlib import Path

import pytest
from django.urls import reverse

import samen

from .pages import assert_samen_page

SETTINGS_FILE = Path(samen.__file__).parent / "settings.py"
PROVIDER_ENV = [
    "SAMEN_LINKEDIN_CLIENT_ID",
    "SAMEN_LINKEDIN_SECRET",
    "SAMEN_FACEBOOK_CLIENT_ID",
    "SAMEN_FACEBOOK_SECRET",
]


def providers_from_environment(monkeypatch, **env) -> dict:
    """Evaluate samen/settings.py afresh under the given environment, as a deployment would."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))["SOCIALACCOUNT_PROVIDERS"]


@pytest.fixture
def login_page(client, settings, db):
    def get(providers):
        settings.SOCIALACCOUNT_PROVIDERS = providers
        return client.get(reverse("account_login"))

    return get


def test_no_provider_is_configured_by_default(monkeypatch):
    assert providers_from_environment(monkeypatch) == {}


def test_without_providers_the_login_page_has_no_provider_buttons(login_page, monkeypatch):
    response = login_page(providers_from_environment(monkeypatch))
    assert_samen_page(response)
    html = response.content.decode()
    assert 'class="providers"' not in html
    assert "LinkedIn" not in html
    assert "Facebook" not in html


def test_a_linkedin_key_adds_a_linkedin_button(login_page, monkeypatch):
    providers = providers_from_environment(
        monkeypatch, SAMEN_LINKEDIN_CLIENT_ID="li-id", SAMEN_LINKEDIN_SECRET="s"
    )
    response = login_page(providers)
    assert_samen_page(response)
    html = response.content.decode()
    assert "Continue with LinkedIn" in html
    assert 'href="/accounts/oidc/linkedin/login/?process=login"' in html
    assert "Facebook" not in html


def test_a_facebook_key_adds_a_facebook_button(login_page, monkeypatch):
    providers = providers_from_environment(
        monkeypatch, SAMEN_FACEBOOK_CLIENT_ID="fb-id", SAMEN_FACEBOOK_SECRET="s"
    )
    response = login_page(providers)
    html = response.content.decode()
    assert "Continue with Facebook" in html
    assert 'href="/accounts/facebook/login/?process=login"' in html
    assert "LinkedIn" not in html
    # The OAuth2 flow needs no script from Facebook: the page stays light and works without JavaScript.
    assert "connect.facebook.net" not in html


def test_both_providers_can_be_on_together(login_page, monkeypatch):
    providers = providers_from_environment(
        monkeypatch, SAMEN_LINKEDIN_CLIENT_ID="li-id", SAMEN_FACEBOOK_CLIENT_ID="fb-id"
    )
    html = login_page(providers).content.decode()
    assert "Continue with LinkedIn" in html
    assert "Continue with Facebook" in html


def test_the_provider_step_renders_inside_samen(client, settings, monkeypatch, db):
    settings.SOCIALACCOUNT_PROVIDERS = providers_from_environment(
        monkeypatch, SAMEN_FACEBOOK_CLIENT_ID="fb-id"
    )
    # allauth asks for a POST before leaving for the provider, so a link alone cannot start a log-in.
    response = client.get(reverse("facebook_login"))
    assert_samen_page(response)
    redirect = client.post(reverse("facebook_login"))
    assert redirect.status_code == 302
    assert redirect.url.startswith("https://www.facebook.com/")
    assert "client_id=fb-id" in redirect.url


@pytest.mark.parametrize("url", ["/accounts/facebook/login/", "/accounts/oidc/linkedin/login/"])
def test_a_switched_off_provider_is_not_found(client, settings, db, url):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
