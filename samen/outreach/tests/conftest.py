import pytest
from django.test import Client

from samen.outreach import actions

BROWSER_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0 Mobile Safari/537.36"
)
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0"


@pytest.fixture
def message(initiative, owner):
    return actions.create_message(
        initiative,
        by=owner,
        title="Spring appeal",
        target=initiative.get_absolute_url(),
        variants=[
            {"label": "A", "text": "Clean water changes everything. Help us build water points."},
            {"label": "B", "text": "One tap, 300 families. Join us.", "sms_text": "One tap, 300 families."},
        ],
    )


@pytest.fixture
def variants(message):
    return {variant.label: variant for variant in message.variants.all()}


@pytest.fixture
def visitor():
    """A person's browser: keeps cookies, sends a phone's user agent."""
    return Client(HTTP_USER_AGENT=BROWSER_UA)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Links are cached by code and by arguments; a rolled-back test must not leave them behind."""
    from samen.core.cache import fragments

    fragments.clear()
    yield
    fragments.clear()
