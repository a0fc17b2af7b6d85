"""Throttles: named limits on what one client may do in a window, held across processes and nodes.

Each limit has a name (`settings.SAMEN_THROTTLES`, from `SAMEN_THROTTLE_<NAME>`; the README lists
them) and one or more rates such as "5/m,30/h". django-ratelimit counts the hits in the default
cache, which every worker shares (`samen.core.cache`): Redis, or a table in the database. A
view calls `hit()` where the costly thing is about to happen and, past the limit, answers with
`too_many()`: a page for people, JSON for machines, both with status 429 and `Retry-After`.

Who is counted is the caller's choice of key: the client's address (`client_key`, behind a
proxy only from the header named in `SAMEN_PROXY_IP_HEADER`), the member (`who`), an address
someone typed, a link. The counters live only in the cache, hashed, for their window; nothing of
them reaches a figure or a log.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop, ngettext
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# Shared with the API's error handler, which says the same in the same words.
TOO_MANY = gettext_noop("Too many requests. Please wait %(seconds)s seconds, then try again.")

# An IPv6 client usually holds a whole /64: counting single addresses would give it billions of tries.
IPV6_PREFIX = 64


def _address(text: str) -> str:
    """The address in `text` (a port after it is dropped), or "" when it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:443
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or what the trusted proxy put in SAMEN_PROXY_IP_HEADER.

    The header is read only when the setting names it, since anyone can send any header. A list
    (X-Forwarded-For) grows to the right at every proxy, so the client is the address
    SAMEN_PROXY_COUNT places from the end: what our own proxy added, not what the client wrote.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    header = settings.SAMEN_PROXY_IP_HEADER
    if header:
        addresses = [item for item in request.headers.get(header, "").split(",") if item.strip()]
        count = max(1, settings.SAMEN_PROXY_COUNT)
        if len(addresses) >= count:
            found = _address(addresses[-count])
            if found:
                return found
    return _address(remote) or remote


def client_key(request: HttpRequest) -> str:
    """The client's address as throttles count it: IPv6 by its /64 network."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False).network_address)
    return str(parsed)


def who(request: HttpRequest) -> str:
    """A signed-in member is counted as themself, anyone else by their address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"member:{user.pk}"
    return f"address:{client_key(request)}"


def rates(name: str) -> list[str]:
    """The rates of a limit ("5/m,30/h" → ["5/m", "30/h"]); none when it is switched off."""
    value = settings.SAMEN_THROTTLES.get(name, "")
    return [rate.strip() for rate in value.split(",") if rate.strip()]


def hit(request: HttpRequest, name: str, key: str | None = None) -> int | None:
    """Count one request against the limit `name`, for `key` (default: the client's address).

    Returns None while the request is within every rate of the limit, else the seconds until the
    window that refused it ends. A cache that fails lets the request through: a throttle must
    never be the reason a donation or a report is lost.
    """
    value = key if key is not None else f"address:{client_key(request)}"
    wait = None
    for rate in rates(name):
        try:
            usage = get_usage(
                request, group=f"samen.{name}", key=lambda _group, _request: value, rate=rate, increment=True
            )
        except Exception:
            logger.exception("throttle %s could not count; the request goes through", name)
            return None
        if usage is not None and usage["should_limit"]:
            wait = max(wait or 1, usage["time_left"], 1)
    return wait


def in_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


def _back(request: HttpRequest) -> str:
    """The page the person came from when it is one of ours, else the home page."""
    referrer = request.headers.get("Referer", "")
    if referrer and url_has_allowed_host_and_scheme(
        referrer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referrer
    return "/"


def too_many(request: HttpRequest, wait: int | float | None, *, json: bool = False) -> HttpResponse:
    """The answer past a limit: 429 with Retry-After, as a page or (for machines) as JSON."""
    seconds = max(1, math.ceil(wait or 1))
    response: HttpResponse
    if json:
        response = JsonResponse(
            {"detail": gettext(TOO_MANY) % {"seconds": seconds}, "retry_after": seconds}, status=429
        )
    else:
        context = {"wait": in_words(seconds), "back": _back(request)}
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def webhook(name: str) -> Callable:
    """For an inbound webhook: count each call per endpoint and sender; answer JSON 429 past the limit.

    Providers retry what they could not deliver, so a refused call is delivered later, not lost.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = hit(request, name, key=f"{request.path}|{client_key(request)}")
            if wait is not None:
                return too_many(request, wait, json=True)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
