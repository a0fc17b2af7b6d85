"""Every API error is JSON: `{"detail": "<a sentence a person can read>", ...}`.

Without these handlers Django would answer a 404, 403 or crash under /api/ with an HTML page,
which API clients cannot parse.
"""

import logging
import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from samen.core.throttle import TOO_MANY

logger = logging.getLogger(__name__)

# Kept in English here and translated when a response is made, in the language the client asks
# for with Accept-Language (English when it asks for none).
NOT_FOUND = gettext_noop("Not found: nothing is here, or you may not see it.")
FORBIDDEN = gettext_noop("You may not do this: only the initiative's team may change it.")
SERVER_ERROR = gettext_noop("Something went wrong on our side. Please try again later.")


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, as a sentence in the language asked for.")


class FieldErrorsOut(ErrorOut):
    errors: dict[str, list[str]] = Field(description="The messages for each field that is wrong.")


class ValidationErrorsOut(ErrorOut):
    errors: list[dict[str, Any]] = Field(description="Each part of the request that does not fit the schema.")


# What each error answer carries, for the OpenAPI document (see `answers`).
ERROR_SCHEMAS: dict[int, type[Schema]] = {
    400: FieldErrorsOut,  # meaning: an unknown choice, coordinates out of range, a date out of range...
    401: ErrorOut,  # no token where one is needed, or a token that is wrong or revoked
    403: ErrorOut,  # known, but not theirs to see or change
    404: ErrorOut,  # nothing there, or hidden from this caller; also a page number no list reaches
    409: ErrorOut,
    422: ValidationErrorsOut,  # the request does not fit the schema (ninja's own check)
    429: ErrorOut,  # too many requests: see the Retry-After header
}
# Every operation refuses a token that is sent but wrong (auth.viewer), and checks its parameters.
READ = (401, 404, 422)
WRITE = (400, 401, 403, 404, 422, 429)


def answers(ok: Any = None, *codes: int | Iterable[int]) -> dict:
    """An operation's `response=`: its success answer(s) and the error answers it documents.

    `ok` is a schema (for 200) or a {status: schema} dict; `codes` are status codes or tuples of them.
    """
    result = dict(ok) if isinstance(ok, dict) else ({200: ok} if ok is not None else {})
    for code in codes:
        for status in (code,) if isinstance(code, int) else code:
            result[status] = ERROR_SCHEMAS[status]
    return result


class BadRequest(HttpError):
    """Input that is well-formed but makes no sense here (unknown cause, latitude 200...)."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(400, message)
        self.errors = errors or {}


def check_dates(**values) -> None:
    """400 for every date outside 1900–2999 (core.moments): such a date breaks the first sum made with it."""
    from samen.core import moments

    wrong = {
        name: [str(moments.OUT_OF_RANGE)]
        for name, value in values.items()
        if value and not moments.in_range(value)
    }
    if wrong:
        raise BadRequest("; ".join(f"{name}: {moments.OUT_OF_RANGE}" for name in wrong), wrong)


def _field_name(loc) -> str:
    # ninja puts the source first ("body", "query"); a person wants the field's own path.
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    # A body that is one schema argument (named "payload" in our operations) nests once more.
    if len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts)


def readable_validation_message(errors: list[dict]) -> str:
    described = [f"{_field_name(error.get('loc', ()))}: {error.get('msg', 'invalid')}" for error in errors]
    return gettext("Some fields are missing or invalid.") + " " + "; ".join(described) + "."


def django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, detail: str, **extra):
        # Our own messages are marked with gettext_noop; any other text passes through unchanged.
        detail = gettext(detail) if detail else detail
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError):
        response = respond(request, 401, exc.message)
        response["WWW-Authenticate"] = 'Bearer realm="samen"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled):
        """Past a limit of samen.core.throttle: the same words as its pages, and when to come back."""
        seconds = max(1, math.ceil(exc.wait or 1))
        response = api.create_response(
            request, {"detail": gettext(TOO_MANY) % {"seconds": seconds}, "retry_after": seconds}, status=429
        )
        response["Retry-After"] = str(seconds)
        return response

    @api.exception_handler(BadRequest)
    def bad_request(request: HttpRequest, exc: BadRequest):
        return respond(request, 400, exc.message, errors=exc.errors)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        # ninja's own 400 (a body that is not JSON) has the shape of every other 400.
        extra: dict = {"errors": {}} if exc.status_code == 400 else {}
        return respond(request, exc.status_code, exc.message, **extra)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404):
        # Never echo the exception: "No Initiative matches the given query" tells an outsider
        # which model sits behind the address, and a draft must look exactly like nothing.
        return respond(request, 404, NOT_FOUND)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied):
        return respond(request, 403, str(exc) or FORBIDDEN)

    @api.exception_handler(NinjaValidationError)
    def invalid_shape(request: HttpRequest, exc: NinjaValidationError):
        return respond(request, 422, readable_validation_message(exc.errors), errors=exc.errors)

    @api.exception_handler(DjangoValidationError)
    def invalid_value(request: HttpRequest, exc: DjangoValidationError):
        errors = django_validation_errors(exc)
        messages = [
            message if field == "__all__" else f"{field}: {message}"
            for field, field_messages in errors.items()
            for message in field_messages
        ]
        return respond(request, 400, " ".join(messages), errors=errors)

    @api.exception_handler(Exception)
    def crashed(request: HttpRequest, exc: Exception):
        # ninja re-raises here when DEBUG is off, which ends in Django's HTML 500 page.
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, SERVER_ERROR)
