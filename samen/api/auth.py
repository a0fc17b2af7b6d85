"""Personal-token authentication: `Authorization: Bearer smn_…`.

Write endpoints require a token (`token_auth`). Read endpoints are public, but a token, when
sent, still counts: it lets the team see their own drafts (`viewer`). A token that is sent but
wrong is always refused, so a client with a typo learns it at once rather than seeing
quietly less.
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from samen.people.models import Member

from .models import ApiToken

# Translated when the error handler answers (see errors.py).
MISSING = gettext_noop(
    "Send a personal API token in the header 'Authorization: Bearer smn_…'. Create one at /tokens/."
)
INVALID = gettext_noop("This API token is not valid, or it has been revoked.")


class TokenRequest(HttpRequest):
    """The request an operation with `auth=token_auth` receives: `auth` is the token's member."""

    auth: Member
    api_token: ApiToken


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest):
        # ninja's HttpBearer returns None here, which ends in a bare "Unauthorized"; say what to send.
        scheme, _, raw = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not raw.strip():
            raise AuthenticationError(message=MISSING)
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str):
        api_token = ApiToken.find_active(token)
        if api_token is None:
            raise AuthenticationError(message=INVALID)
        api_token.touch()
        request.api_token = api_token  # type: ignore[attr-defined]  # read by operations as TokenRequest
        return api_token.member


token_auth = TokenAuth()

# For public operations: OpenAPI's way to say "a token is optional" is an empty alternative.
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}, {TokenAuth.__name__: []}]}


def viewer(request: HttpRequest):
    """Who is asking on a public endpoint: the token's member, or anonymous when no token is sent."""
    if not request.headers.get(token_auth.header):
        return AnonymousUser()
    return token_auth(request)
