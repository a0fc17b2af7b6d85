"""Samen refuses to start with debug off and no secret key of its own, and says why.

settings.py then gives the process a random key that no one knows (so tools that only read the
settings, such as mypy, still work) and sets SAMEN_SECRET_KEY_MISSING. This check stops every manage.py
command that runs the system checks (runserver, migrate, db_worker, the cron commands) before it does
anything, and wsgi.py and asgi.py call `require_secret_key` before they serve a request.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_KEY = (
    "SAMEN_SECRET_KEY is not set. With debug off Samen needs a secret key of its own: it signs sessions, "
    "password-reset links and tokens. Make one with "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'` and set SAMEN_SECRET_KEY "
    "(or SAMEN_DEBUG=1 on a development machine)."
)


@checks.register()
def check_secret_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "SAMEN_SECRET_KEY_MISSING", False):
        return [checks.Error(MISSING_KEY, id="samen.E001")]
    return []


def require_secret_key() -> None:
    """For wsgi.py and asgi.py, which run no system checks: refuse to serve without a key."""
    if getattr(settings, "SAMEN_SECRET_KEY_MISSING", False):
        raise ImproperlyConfigured(MISSING_KEY)
