"""Initiatives: public reading, team writing.

Every fetch of one initiative goes through samen.initiatives.access, and every write through
the initiatives app's own forms and actions, so the API cannot drift from the web pages.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, answers
from samen.api.forms import ApiCreateInitiativeForm, ApiInitiativeForm, initiative_data, place_data, validated
from samen.api.pagination import Pagination
from samen.api.schemas import (
    CAUSE_CODES,
    InitiativeCreateIn,
    InitiativeOut,
    InitiativePatchIn,
    InitiativeSummaryOut,
    choice,
)
from samen.core.access import Role
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer
from samen.initiatives.actions import start_initiative
from samen.initiatives.forms import ListFilterForm, StatusForm
from samen.initiatives.models import Initiative
from samen.initiatives.search import search_initiatives

router = Router(tags=["initiatives"])

OWNER_ONLY_STATUS = gettext_noop("Only an owner of the initiative may change its status.")


class ListFilters(Schema):
    q: str = Field(
        "", description=gettext_noop('Search words; "a phrase", `or` between words, `-word` to leave out.')
    )
    cause: str = choice(["", *CAUSE_CODES], "", description=gettext_noop("A cause code, such as `water`."))
    place: str = Field("", description=gettext_noop("Part of the place name."))
    status: str = choice(
        ["", "open", "closed"], "", description=gettext_noop("`open` or `closed`; both when left out.")
    )


def _with_role(initiative: Initiative, role: Role) -> Initiative:
    initiative.viewer_role = role  # type: ignore[attr-defined]
    return initiative


@router.get(
    "/initiatives",
    response=answers(list[InitiativeSummaryOut], READ, 400),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("List public initiatives"),
    description=gettext_noop(
        "Open and closed initiatives, newest first (best match first when searching). "
        "Drafts are never listed."
    ),
)
@paginate(Pagination)
def list_initiatives(request: HttpRequest, filters: Query[ListFilters]):
    viewer(request)  # a token sent with a typo is refused here too, not silently ignored
    chosen = validated(ListFilterForm(filters.dict()))
    initiatives = Initiative.objects.public()
    if chosen["status"]:
        initiatives = initiatives.filter(status=chosen["status"])
    if chosen["cause"]:
        initiatives = initiatives.with_cause(chosen["cause"])
    if chosen["place"]:
        initiatives = initiatives.in_place(chosen["place"])
    return search_initiatives(initiatives, chosen["q"])


@router.get(
    "/initiatives/{slug}",
    response=answers(InitiativeOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One initiative"),
    description=gettext_noop(
        "Drafts are found only with a token of someone on the initiative's team; "
        "for everyone else they do not exist."
    ),
)
def get_initiative(request: HttpRequest, slug: str):
    initiative, role = get_initiative_for_viewer(viewer(request), slug)
    return _with_role(initiative, role)


@router.post(
    "/initiatives",
    response=answers({201: InitiativeOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Start an initiative"),
    description=gettext_noop(
        "The token's member becomes its owner. `status` is `draft` (the default) or `open`."
    ),
)
def create_initiative(request: TokenRequest, payload: InitiativeCreateIn):
    data = payload.dict(exclude={"place"}) | (place_data(payload.place) if payload.place else {})
    fields = validated(ApiCreateInitiativeForm(data))
    initiative = start_initiative(request.auth, **fields)
    return Status(201, _with_role(initiative, Role.OWNER))


@router.patch(
    "/initiatives/{slug}",
    response=answers(InitiativeOut, WRITE),
    auth=token_auth,
    summary=gettext_noop("Change an initiative"),
    description=gettext_noop(
        "For its team. Send only the fields that change; `place` replaces the whole place. "
        "Changing `status` is for owners."
    ),
)
def change_initiative(request: TokenRequest, slug: str, payload: InitiativePatchIn):
    initiative, role = get_initiative_for_team(request.auth, slug)
    changes = payload.dict(exclude_unset=True, exclude={"place", "status"})
    if payload.place is not None:
        changes |= place_data(payload.place)
    new_status = payload.status if "status" in payload.model_fields_set else None
    if new_status is not None and role < Role.OWNER:
        raise PermissionDenied(OWNER_ONLY_STATUS)

    # Validate everything before writing anything: a bad status must not leave a half-applied change.
    status = validated(StatusForm({"status": new_status}))["status"] if new_status is not None else None
    form = ApiInitiativeForm(initiative_data(initiative) | changes, instance=initiative)
    validated(form)
    with transaction.atomic():
        if changes:
            form.save()
        if status is not None and status != initiative.status:
            initiative.set_status(status)
    return _with_role(initiative, role)
