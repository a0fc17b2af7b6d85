"""Plans: read plans, their sections and the answer state of reactions; create them with a token.

Plans, sections and reactions are fetched only through samen.plans.access, and every write goes
through samen.plans.actions, so the API checks and does exactly what the web pages do.
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema, Status

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, BadRequest, answers
from samen.api.schemas import OnInitiativeOut, absolute, choice
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer
from samen.plans import actions
from samen.plans.access import get_plan_for_viewer, get_reaction_for_viewer, get_section_for_viewer
from samen.plans.models import Plan, Reaction, Section
from samen.plans.queries import section_rows

router = Router(tags=["plans"])

NO_SUCH_PARENT = gettext_noop("`parent` must be a reaction on this section.")
NO_SUCH_SECTION = gettext_noop("`parent` must be a section of this plan.")


class SectionOut(Schema):
    id: int
    parent: int | None
    depth: int
    number: str = Field(description="Its number in the plan, such as 2.1.")
    heading: str
    body: str = Field(description="Markdown.")
    expertise: list[str] = Field(description="Skills this section asks for.")
    reactions: int = Field(description="All reactions, replies included.")
    to_answer: int = Field(description="Reactions on the section itself; each must be answered.")
    answered: int = Field(description="How many of `to_answer` have an answer.")
    url: str

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id

    @staticmethod
    def resolve_reactions(obj):
        return getattr(obj, "reaction_total", 0)

    @staticmethod
    def resolve_to_answer(obj):
        return getattr(obj, "to_answer_total", 0)

    @staticmethod
    def resolve_answered(obj):
        return getattr(obj, "answered_total", 0)

    @staticmethod
    def resolve_number(obj):
        return getattr(obj, "number", "")

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class PlanSummaryOut(OnInitiativeOut):
    id: int
    title: str
    version: int
    answer_days: int
    created_at: datetime


class PlanOut(PlanSummaryOut):
    intro: str
    sections: list[SectionOut]

    @staticmethod
    def resolve_sections(obj):
        return section_rows(obj)


class PlanIn(Schema):
    title: str = Field(max_length=200)
    intro: str = ""
    markdown: str = Field("", description=gettext_noop("Headings (#, ##, ###) become nested sections."))
    answer_days: int = Field(
        3, ge=1, le=60, description=gettext_noop("Days the team has to answer a reaction.")
    )


class SectionIn(Schema):
    heading: str
    body: str = ""
    expertise: list[str] = Field(default_factory=list)
    parent: int | None = Field(None, description=gettext_noop("A section of this plan to nest under."))


class ReactionOut(Schema):
    id: int
    section: int
    parent: int | None
    depth: int
    author: str
    body: str
    via: str = choice(Reaction.Via.values)
    created_at: datetime
    state: str | None = choice(
        [*Reaction.State.values, None],
        description="open, answered, adopted or declined; null for replies, which are not answered.",
    )
    answer: str
    answered_at: datetime | None
    due_at: datetime | None
    url: str

    @staticmethod
    def resolve_section(obj):
        return obj.section_id

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id

    @staticmethod
    def resolve_author(obj):
        return obj.author.display_name

    @staticmethod
    def resolve_state(obj):
        return obj.state if obj.parent_id is None else None

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class ReactionIn(Schema):
    body: str = Field(description=gettext_noop("At most 5,000 characters."))
    parent: int | None = Field(None, description=gettext_noop("A reaction on this section to reply to."))


@router.get(
    "/initiatives/{slug}/plans",
    response=answers(list[PlanSummaryOut], READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("An initiative's plans"),
)
def list_plans(request: HttpRequest, slug: str):
    initiative, _role = get_initiative_for_viewer(viewer(request), slug)
    return list(
        Plan.objects.filter(initiative=initiative).select_related("initiative").order_by("-created_at", "-id")
    )


@router.post(
    "/initiatives/{slug}/plans",
    response=answers({201: PlanOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Create a plan"),
    description=gettext_noop("For the initiative's team. Send `markdown` to import a whole plan at once."),
)
def create_plan(request: TokenRequest, slug: str, payload: PlanIn):
    initiative, _role = get_initiative_for_team(request.auth, slug)
    plan = actions.create_plan(initiative, request.auth, **payload.dict())
    plan.initiative = initiative
    return Status(201, plan)


@router.get(
    "/plans/{plan_id}",
    response=answers(PlanOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One plan, with its sections and how many reactions each has answered"),
)
def get_plan(request: HttpRequest, plan_id: int):
    plan, _role = get_plan_for_viewer(viewer(request), plan_id)
    return plan


@router.post(
    "/plans/{plan_id}/sections",
    response=answers({201: SectionOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Add a section"),
    description=gettext_noop("For the initiative's team. The plan gets a new version."),
)
def create_section(request: TokenRequest, plan_id: int, payload: SectionIn):
    plan, _role = get_plan_for_viewer(request.auth, plan_id, team=True)
    parent = None
    if payload.parent is not None:
        parent = plan.sections.filter(pk=payload.parent).first()
        if parent is None:
            raise BadRequest(NO_SUCH_SECTION)
    section = actions.add_section(
        plan,
        request.auth,
        heading=payload.heading,
        body=payload.body,
        expertise=payload.expertise,
        parent=parent,
    )
    return Status(201, section)


def _reactions(section: Section):
    return section.reactions.select_related("author", "section").order_by("created_at", "id")


@router.get(
    "/sections/{section_id}/reactions",
    response=answers(list[ReactionOut], READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("A section's reactions and their answer state"),
)
def list_reactions(request: HttpRequest, section_id: int):
    section, _role = get_section_for_viewer(viewer(request), section_id)
    return list(_reactions(section))


@router.post(
    "/sections/{section_id}/reactions",
    response=answers({201: ReactionOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("React to a section"),
    description=gettext_noop(
        "As the token's member. A reaction on the section gets an owner on the team and a due date; "
        "`parent` makes it a reply (at most three levels deep)."
    ),
)
def create_reaction(request: TokenRequest, section_id: int, payload: ReactionIn):
    section, _role = get_section_for_viewer(request.auth, section_id)
    parent = None
    if payload.parent is not None:
        parent = section.reactions.filter(pk=payload.parent).first()
        if parent is None:
            raise BadRequest(NO_SUCH_PARENT)
    reaction = actions.add_reaction(
        section, request.auth, payload.body, parent=parent, via=Reaction.Via.API, request=request
    )
    return Status(201, reaction)


@router.get(
    "/reactions/{reaction_id}",
    response=answers(ReactionOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One reaction and its answer state"),
)
def get_reaction(request: HttpRequest, reaction_id: int):
    reaction, _role = get_reaction_for_viewer(viewer(request), reaction_id)
    return reaction
