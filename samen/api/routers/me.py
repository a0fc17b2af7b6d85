from django.utils.translation import gettext_noop
from ninja import Router

from samen.api.auth import TokenRequest, token_auth
from samen.api.errors import answers
from samen.api.schemas import MeOut

router = Router(tags=["me"])


@router.get(
    "/me", response=answers(MeOut, 401), auth=token_auth, summary=gettext_noop("Your own profile and teams")
)
def me(request: TokenRequest):
    return request.auth
