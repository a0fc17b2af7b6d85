"""The API's write throttle: POST, PUT, PATCH and DELETE count against `api_write` (core.throttle).

ninja runs it after authentication, so a token's member is counted as themself wherever they send
from; a write without a valid token is refused (401) before it costs anything to count.
"""

from __future__ import annotations

import threading

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from samen.core import throttle

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class WriteThrottle(BaseThrottle):
    def __init__(self):
        # ninja asks wait() right after allow_request() in the same thread; the instance is shared.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        if request.method not in WRITES:
            return True
        member_pk = getattr(getattr(request, "auth", None), "pk", None)
        key = f"member:{member_pk}" if member_pk else f"address:{throttle.client_key(request)}"
        self._local.wait = throttle.hit(request, "api_write", key=key)
        return self._local.wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
