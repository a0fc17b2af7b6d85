import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samen.settings")
application = get_wsgi_application()

from samen.core.checks import require_secret_key  # noqa: E402 - needs the settings above

require_secret_key()
