"""System checks: settings that would only fail on the first request are refused at start-up."""

import re

from django.conf import settings
from django.core import checks

# "5/m", "1/30m", "100/h", or allauth's "5/5m/key" (per ip, key or user).
RATE = re.compile(r"^\d+/\d*(\.\d+)?[smhd](/(ip|key|user))?$")


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
                        id="samen.E001",
                    )
                )
    return errors
