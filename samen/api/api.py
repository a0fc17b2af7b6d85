"""The Samen API: django-ninja, OpenAPI 3 at /api/openapi.json, docs at /api/docs.

Routers live in samen/api/routers/, one per resource; the api sits on top of every app and may
import any of them (nothing imports it).
"""

import json
from functools import wraps

from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import path, re_path, reverse
from django.utils.translation import gettext
from ninja import NinjaAPI

from .docs import SamenDocs, explorer
from .errors import NOT_FOUND, install_error_handlers
from .routers import giving, initiatives, me, outreach, plans, reports, updates, volunteering
from .throttle import WriteThrottle


def _json_method_not_allowed(view):
    """ninja answers a wrong method with a bare text 405; clients get JSON like every other error."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = ", ".join(sorted(response["Allow"].split(", ")))
            detail = gettext("Method %(method)s is not allowed here. Allowed: %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            response = JsonResponse({"detail": detail}, status=405)
            response["Allow"] = allowed
        return response

    return wrapped


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul(view):
    """No NUL character reaches the database: PostgreSQL refuses it in text, with a server error.

    In an address it names nothing (404); in a JSON body it is refused with a 400, before the
    operation runs. Query parameters go through forms or fixed lists, which refuse it themselves.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if _has_nul(list(kwargs.values())):
            return _not_found(request)
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/json":
            try:
                body = json.loads(request.body)
            except ValueError:
                body = None  # ninja answers a body that is not JSON
            if _has_nul(body) or _has_nul(list(request.headers.values())):  # Idempotency-Key
                detail = gettext("Text may not contain NUL characters (\\u0000).")
                return JsonResponse({"detail": detail, "errors": {"__all__": [detail]}}, status=400)
        return view(request, *args, **kwargs)

    return wrapped


def _not_found(request: HttpRequest, *args, **kwargs):
    return JsonResponse({"detail": gettext(NOT_FOUND)}, status=404)


class SamenAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _json_method_not_allowed(_refuse_nul(pattern.callback))
        patterns.append(path("docs/explorer", explorer, name="explorer"))
        # Last, after ninja's own patterns: any other address under /api/ gets a JSON 404,
        # not the site's HTML page.
        patterns.append(re_path(r"^.+$", _not_found, name="not-found"))
        return patterns, app_name, namespace


api = SamenAPI(
    title="Samen API",
    version="1",
    description=(
        "Read public initiatives and their updates; with a personal token "
        "(`Authorization: Bearer smn_…`, created at /tokens/), change the initiatives you work on. "
        "Every error is JSON with a `detail` message."
    ),
    urls_namespace="api",
    docs=SamenDocs(),
    throttle=[WriteThrottle()],
)
install_error_handlers(api)


@api.get("/", include_in_schema=False)
def index(request: HttpRequest):
    """A map for someone who opens /api/ by hand."""
    return {
        "name": api.title,
        "version": api.version,
        "docs": request.build_absolute_uri(reverse("api:openapi-view")),
        "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
        "tokens": request.build_absolute_uri(reverse("tokens:list")),
    }


api.add_router("", initiatives.router)
api.add_router("", updates.router)
api.add_router("", me.router)
api.add_router("", reports.router)
api.add_router("", plans.router)
api.add_router("", volunteering.router)
api.add_router("", giving.router)
api.add_router("", outreach.router)
