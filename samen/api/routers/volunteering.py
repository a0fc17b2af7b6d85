"""Volunteering: open tasks for everyone; joining, deciding and hours with a token.

Private rows (participations, hours) are fetched only through samen.volunteering.access, and every
change goes through samen.volunteering.actions, so the API checks what the web pages and the SMS
commands check. Refusals from the actions are ValidationErrors, answered as 400 with `detail`.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext, gettext_noop
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, BadRequest, answers, check_dates
from samen.api.pagination import Pagination
from samen.api.schemas import OnInitiativeOut, choice
from samen.initiatives.access import get_initiative_for_team
from samen.volunteering import access, actions, suggest
from samen.volunteering.models import (
    MAX_HOURS_NEEDED,
    MAX_MINUTES_PER_ENTRY,
    MAX_PLACES,
    Opportunity,
    Participation,
    TimeEntry,
)

router = Router(tags=["volunteering"])

NOT_YOURS = gettext_noop("Only the participant may do this.")


class OpportunityOut(OnInitiativeOut):
    id: int
    code: str = Field(description="The SMS code: JOIN <code>, HOURS <code> <hours>.")
    title: str
    description: str
    mode: str = choice(Opportunity.Mode.values)
    schedule: str = choice(Opportunity.Schedule.values)
    hours_needed: int
    skills: list[str]
    languages: list[str]
    time_zone: str
    place_name: str
    latitude: float | None
    longitude: float | None
    deadline: date | None
    places_available: int
    status: str = choice(Opportunity.Status.values)


class OpportunityIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    mode: str = choice(Opportunity.Mode.values, "online", description=gettext_noop("online or on_location."))
    schedule: str = choice(
        Opportunity.Schedule.values, "one_off", description=gettext_noop("one_off or ongoing.")
    )
    hours_needed: int = Field(4, ge=1, le=MAX_HOURS_NEEDED)
    skills: list[str] = Field(default_factory=list, max_length=30)
    languages: list[str] = Field(default_factory=list, max_length=10)
    time_zone: str = Field("UTC", max_length=64)
    place_name: str = Field("", max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    deadline: date | None = None
    places_available: int = Field(1, ge=1, le=MAX_PLACES)


class SuggestionOut(Schema):
    opportunity: OpportunityOut
    score: float
    reasons: list[str] = Field(description="Why it fits, in the language asked for with Accept-Language.")


class ParticipationOut(Schema):
    id: int
    opportunity: int
    member: str = Field(description="The participant's display name.")
    state: str = choice(Participation.State.values)
    motivation: str
    created_at: datetime

    @staticmethod
    def resolve_opportunity(obj):
        return obj.opportunity_id

    @staticmethod
    def resolve_member(obj):
        return obj.member.display_name


class ApplyIn(Schema):
    motivation: str = Field("", max_length=1000)


class DecisionIn(Schema):
    accept: bool


class HoursIn(Schema):
    hours: Decimal = Field(
        gt=0, le=MAX_MINUTES_PER_ENTRY // 60, description=gettext_noop("More than 0, at most 24.")
    )
    note: str = Field("", max_length=300)
    occurred_on: date | None = None
    external_id: str = Field(
        "",
        max_length=80,
        description=gettext_noop("Your id for this entry; sending it again changes nothing."),
    )


class HoursOut(Schema):
    id: int
    participation: int
    minutes: int
    note: str
    occurred_on: date
    state: str = choice(TimeEntry.State.values)

    @staticmethod
    def resolve_participation(obj):
        return obj.participation_id


class ConfirmIn(Schema):
    confirm: bool


def _with_member(participation: Participation) -> Participation:
    return Participation.objects.select_related("member").get(pk=participation.pk)


@router.get(
    "/opportunities",
    response=answers(list[OpportunityOut], READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("List open tasks"),
    description=gettext_noop("Open tasks of public initiatives, newest first."),
)
@paginate(Pagination)
def list_opportunities(request: HttpRequest):
    viewer(request)
    return actions.open_opportunities().select_related("initiative").order_by("-created_at", "-id")


@router.get(
    "/opportunities/suggested",
    response=answers(list[SuggestionOut], 401),
    auth=token_auth,
    summary=gettext_noop("Tasks suggested for you"),
    description=gettext_noop("The five open tasks that fit your profile best, each with the reasons why."),
)
def suggested(request: TokenRequest):
    return [
        {"opportunity": item.opportunity, "score": item.suggestion.score, "reasons": item.reasons}
        for item in suggest.for_member(request.auth)
    ]


@router.get(
    "/opportunities/{opportunity_id}",
    response=answers(OpportunityOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One task"),
)
def get_opportunity(request: HttpRequest, opportunity_id: int):
    opportunity, _role = access.get_opportunity_for_viewer(viewer(request), opportunity_id)
    return opportunity


@router.post(
    "/initiatives/{slug}/opportunities",
    response=answers({201: OpportunityOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Add a task to an initiative"),
    description=gettext_noop("For the initiative's team."),
)
def create_opportunity(request: TokenRequest, slug: str, payload: OpportunityIn):
    initiative, _role = get_initiative_for_team(request.auth, slug)
    check_dates(deadline=payload.deadline)
    if payload.mode not in Opportunity.Mode.values:
        raise BadRequest(
            gettext("mode: choose online or on_location."), {"mode": [gettext("Unknown value.")]}
        )
    if payload.schedule not in Opportunity.Schedule.values:
        raise BadRequest(
            gettext("schedule: choose one_off or ongoing."), {"schedule": [gettext("Unknown value.")]}
        )
    fields = payload.dict()
    for name in ("latitude", "longitude"):
        if fields[name] is not None:
            fields[name] = Decimal(str(round(fields[name], 6)))
    fields["skills"] = [" ".join(s.split()) for s in fields["skills"] if s.strip()]
    fields["languages"] = [" ".join(s.split()) for s in fields["languages"] if s.strip()]
    opportunity = Opportunity(initiative=initiative, created_by=request.auth, **fields)
    opportunity.full_clean(exclude=["code", "terms"])
    actions.save_opportunity(opportunity)
    return Status(201, opportunity)


@router.post(
    "/opportunities/{opportunity_id}/participations",
    response=answers({200: ParticipationOut, 201: ParticipationOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Join a task"),
    description=gettext_noop(
        "Apply for a task (or accept an invitation). Joining twice is impossible: a second call "
        "returns the existing participation with 200."
    ),
)
def join(request: TokenRequest, opportunity_id: int, payload: ApplyIn):
    opportunity, _role = access.get_opportunity_for_viewer(request.auth, opportunity_id)
    participation, created = actions.apply(
        opportunity,
        request.auth,
        motivation=payload.motivation,
        source=Participation.Source.API,
        request=request,
    )
    return Status(201 if created else 200, _with_member(participation))


@router.get(
    "/opportunities/{opportunity_id}/participations",
    response=answers(list[ParticipationOut], READ, 403),
    auth=token_auth,
    summary=gettext_noop("Who takes part"),
    description=gettext_noop("The team sees everyone; anyone else only their own participation."),
)
def list_participations(request: TokenRequest, opportunity_id: int):
    opportunity, role = access.get_opportunity_for_viewer(request.auth, opportunity_id)
    return access.participations_for_viewer(role, opportunity, request.auth)


@router.post(
    "/participations/{participation_id}/decision",
    response=answers(ParticipationOut, WRITE),
    auth=token_auth,
    summary=gettext_noop("Accept or decline an application"),
    description=gettext_noop("For the initiative's team."),
)
def decide(request: TokenRequest, participation_id: int, payload: DecisionIn):
    participation, _role = access.get_participation_for_team(request.auth, participation_id)
    return _with_member(actions.decide(participation, request.auth, accept=payload.accept))


@router.post(
    "/participations/{participation_id}/withdraw",
    response=answers(ParticipationOut, WRITE),
    auth=token_auth,
    summary=gettext_noop("Withdraw from a task"),
)
def withdraw(request: TokenRequest, participation_id: int):
    participation = access.get_participation_for_member(request.auth, participation_id)
    return _with_member(actions.withdraw(participation))


@router.post(
    "/participations/{participation_id}/hours",
    response=answers({200: HoursOut, 201: HoursOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Log hours"),
    description=gettext_noop(
        "For an accepted participant. More than 0 and at most 24 hours per entry; the team confirms. "
        "With an `external_id`, a retry returns the first entry (200)."
    ),
)
def log_hours(request: TokenRequest, participation_id: int, payload: HoursIn):
    participation = access.get_participation_for_member(request.auth, participation_id)
    check_dates(occurred_on=payload.occurred_on)
    minutes = int(round(payload.hours * 60))
    key = payload.external_id.strip()
    entry, created = actions.log_hours(
        participation,
        minutes=minutes,
        note=payload.note,
        occurred_on=payload.occurred_on,
        external_ref=f"api:{request.auth.pk}:{key}" if key else None,
    )
    return Status(201 if created else 200, entry)


@router.get(
    "/participations/{participation_id}/hours",
    response=answers(list[HoursOut], READ, 403),
    auth=token_auth,
    summary=gettext_noop("Hours of a participation"),
    description=gettext_noop("For the participant and the initiative's team."),
)
def list_hours(request: TokenRequest, participation_id: int):
    try:
        participation = access.get_participation_for_member(request.auth, participation_id)
    except Http404:  # not theirs: the team may still look
        participation, _role = access.get_participation_for_team(request.auth, participation_id)
    return participation.time_entries.all()


@router.post(
    "/hours/{entry_id}/decision",
    response=answers(HoursOut, WRITE),
    auth=token_auth,
    summary=gettext_noop("Confirm hours, or not"),
    description=gettext_noop("For the initiative's team. Confirmed hours go into the ledger as time given."),
)
def decide_hours(request: TokenRequest, entry_id: int, payload: ConfirmIn):
    entry, _role = access.get_time_entry_for_team(request.auth, entry_id)
    if payload.confirm:
        return actions.confirm_hours(entry, request.auth, request=request)
    return actions.reject_hours(entry, request.auth)
