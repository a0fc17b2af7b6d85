"""Updates: the transparency posts of an initiative. Public when the initiative is; posted by its team."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_noop
from ninja import Router, Status
from ninja.pagination import paginate

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, answers
from samen.api.forms import validated
from samen.api.pagination import Pagination
from samen.api.schemas import UpdateIn, UpdateOut
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer
from samen.initiatives.actions import post_update
from samen.initiatives.forms import UpdateForm

router = Router(tags=["updates"])


@router.get(
    "/initiatives/{slug}/updates",
    response=answers(list[UpdateOut], READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("List an initiative's updates"),
    description=gettext_noop("Newest first. A draft's updates are for its team, like the draft itself."),
)
@paginate(Pagination)
def list_updates(request: HttpRequest, slug: str):
    initiative, _role = get_initiative_for_viewer(viewer(request), slug)
    # Through the related manager, each update already knows its initiative: no query per row for its URL.
    return initiative.updates.all()


@router.get(
    "/initiatives/{slug}/updates/{update_id}",
    response=answers(UpdateOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One update"),
)
def get_update(request: HttpRequest, slug: str, update_id: int):
    initiative, _role = get_initiative_for_viewer(viewer(request), slug)
    return get_object_or_404(initiative.updates, pk=update_id)


@router.post(
    "/initiatives/{slug}/updates",
    response=answers({201: UpdateOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Post an update"),
    description=gettext_noop(
        "For the initiative's team. Followers of a public initiative get it by e-mail, "
        "exactly as when it is posted on the web."
    ),
)
def create_update(request: TokenRequest, slug: str, payload: UpdateIn):
    initiative, _role = get_initiative_for_team(request.auth, slug)
    fields = validated(UpdateForm(payload.dict()))
    update = post_update(initiative, request.auth, title=fields["title"], body=fields["body"])
    return Status(201, update)
