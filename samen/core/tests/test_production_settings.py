"""Production settings: a secret key of the site's own, HTTPS when the site is https, and a strict CSP.

The settings are read from the environment once, so most tests here run settings.py again with an
environment of their own (`settings_for`); `check --deploy` runs in a process of its own, as it would
on a server.
"""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

import samen.settings as samen_settings
from samen.core.checks import require_secret_key

SETTINGS = Path(__file__).resolve().parents[2] / "settings.py"
KEY = "a-real-key-of-this-site-" + "x7Q" * 12
PRODUCTION = {
    "SAMEN_DEBUG": "0",
    "SAMEN_SECRET_KEY": KEY,
    "SAMEN_SITE_URL": "https://samen.example",
    "SAMEN_ALLOWED_HOSTS": "samen.example",
}


def settings_for(monkeypatch, **environment) -> dict:
    for name in (
        "SAMEN_DEBUG",
        "SAMEN_SECRET_KEY",
        "SAMEN_SITE_URL",
        "SAMEN_PROXY_SSL_HEADER",
        "SAMEN_MAP_TILES",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_with_debug_off_and_no_secret_key_samen_refuses_to_start_and_says_why(monkeypatch, settings):
    values = settings_for(monkeypatch, SAMEN_DEBUG="0")
    # The process has a key no one knows (mypy may read these settings), and nothing starts with it.
    assert values["SAMEN_SECRET_KEY_MISSING"] and len(values["SECRET_KEY"]) >= 50
    settings.SAMEN_SECRET_KEY_MISSING = values["SAMEN_SECRET_KEY_MISSING"]

    with pytest.raises(SystemCheckError, match=r"samen\.E001.*SAMEN_SECRET_KEY is not set"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match="SAMEN_SECRET_KEY is not set"):
        require_secret_key()  # what wsgi.py and asgi.py call before they serve


def test_a_development_machine_with_debug_on_needs_no_key(monkeypatch):
    values = settings_for(monkeypatch, SAMEN_DEBUG="1")

    assert values["DEBUG"] and values["SECRET_KEY"] and not values["SAMEN_SECRET_KEY_MISSING"]


def test_an_https_site_redirects_to_https_sends_hsts_and_keeps_cookies_secure(monkeypatch):
    values = settings_for(monkeypatch, **PRODUCTION)

    assert values["SECRET_KEY"] == KEY and not values["SAMEN_SECRET_KEY_MISSING"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]


def test_a_plain_http_site_neither_redirects_nor_sends_hsts(monkeypatch):
    values = settings_for(monkeypatch, SAMEN_SECRET_KEY=KEY, SAMEN_SITE_URL="http://127.0.0.1:8000")

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert not values["SESSION_COOKIE_SECURE"] and not values["CSRF_COOKIE_SECURE"]


def test_the_proxy_header_is_a_setting(monkeypatch):
    assert "SECURE_PROXY_SSL_HEADER" not in settings_for(monkeypatch, **PRODUCTION)
    values = settings_for(monkeypatch, **PRODUCTION, SAMEN_PROXY_SSL_HEADER="X-Forwarded-Proto: https")

    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    with pytest.raises(ImproperlyConfigured, match="Header-Name: value"):
        settings_for(monkeypatch, **PRODUCTION, SAMEN_PROXY_SSL_HEADER="X-Forwarded-Proto")


def test_the_policy_lets_in_map_tiles_from_the_tile_server_only(monkeypatch):
    values = settings_for(
        monkeypatch, **PRODUCTION, SAMEN_MAP_TILES="https://{s}.tiles.example/{z}/{x}/{y}.png"
    )

    policy = values["SECURE_CSP"]
    assert policy["img-src"] == ["'self'", "data:", "https://*.tiles.example"]
    assert policy["script-src"] == policy["style-src"] == ["'self'", "<CSP_NONCE_SENTINEL>"]


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    # One check is silenced on purpose: django-ratelimit warns (W001) about any cache it does not
    # know, and Samen's database cache is one, whose increment is made atomic for the throttles
    # (core/cache.py, test_shared_cache.py). Nothing else may be.
    assert samen_settings.SILENCED_SYSTEM_CHECKS == ["django_ratelimit.W001"]
    assert "System check identified no issues (1 silenced)." in done.stdout


@pytest.mark.django_db
def test_every_page_has_the_policy_and_its_nonce_reaches_the_templates(admin_client):
    response = admin_client.get("/admin/initiatives/initiative/")

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in response.text
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "Content-Security-Policy" in admin_client.get("/").headers


def test_https_requests_through_the_proxy_get_hsts_and_plain_ones_a_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get("/reference/rows/")
    through_proxy = client.get("/reference/rows/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301 and plain["Location"] == "https://testserver/reference/rows/"
    assert through_proxy.status_code == 200
    assert through_proxy["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --- Templates the policy would break ---------------------------------------------------------------

TEMPLATE_DIRS = [
    django_settings.BASE_DIR / "templates",
    *sorted((django_settings.BASE_DIR / "samen").glob("*/templates")),
]
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
)
REFUSED = {
    "an inline <script> without the nonce": INLINE_SCRIPT,
    "a <style> without the nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>"),
    "a style attribute": re.compile(r"\sstyle=[\"']"),
    "an inline event handler": re.compile(r"\son[a-z]+=[\"']"),
    "a javascript: link": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_has_what_the_policy_refuses():
    found = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            for what, pattern in REFUSED.items():
                found += [
                    f"{path.relative_to(django_settings.BASE_DIR)}: {what}" for _ in pattern.finditer(text)
                ]
    assert not found, "\n".join(found)
