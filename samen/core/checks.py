"""System checks: what would only fail later is refused at start-up, and says why.

- Samen refuses to start with debug off and no secret key of its own. settings.py then gives the
  process a random key that no one knows (so tools that only read the settings, such as mypy, still
  work) and sets SAMEN_SECRET_KEY_MISSING. The check stops every manage.py command that runs the
  system checks (runserver, migrate, db_worker, the cron commands) before it does anything, and
  wsgi.py and asgi.py call `require_secret_key` before they serve a request.
- Throttle rates that do not parse would only fail on the first request they limit.
"""

import re

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_KEY = (
    "SAMEN_SECRET_KEY is not set. With debug off Samen needs a secret key of its own: it signs sessions, "
    "password-reset links and tokens. Make one with "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'` and set SAMEN_SECRET_KEY "
    "(or SAMEN_DEBUG=1 on a development machine)."
)

# "5/m", "1/30m", "100/h", or allauth's "5/5m/key" (per ip, key or user).
RATE = re.compile(r"^\d+/\d*(\.\d+)?[smhd](/(ip|key|user))?$")


@checks.register()
def check_secret_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "SAMEN_SECRET_KEY_MISSING", False):
        return [checks.Error(MISSING_KEY, id="samen.E001")]
    return []


def require_secret_key() -> None:
    """For wsgi.py and asgi.py, which run no system checks: refuse to serve without a key."""
    if getattr(settings, "SAMEN_SECRET_KEY_MISSING", False):
        raise ImproperlyConfigured(MISSING_KEY)


@checks.register(checks.Tags.caches)
def check_throttles(app_configs, **kwargs):
    errors = []
    for name, value in getattr(settings, "SAMEN_THROTTLES", {}).items():
        for rate in (part.strip() for part in value.split(",") if part.strip()):
            if not RATE.match(rate):
                errors.append(
                    checks.Error(
                        f"SAMEN_THROTTLE_{name.upper()}: {rate!r} is not a rate",
                        hint='Write count/period, e.g. "5/m", "1/30m" or "30/h"; several with commas.',
                        id="samen.E002",
                    )
                )
    return errors
