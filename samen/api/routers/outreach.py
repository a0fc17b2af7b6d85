"""Outreach: messages and their variants, tracked links and the figures, for the initiative's team
or, for a campaign's messages, the campaign's organiser.

Messages are fetched only through samen.outreach.access (404 for anyone outside the team), and
created by the outreach app's own action, so the API and the web pages cannot drift apart.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Query, Router, Schema, Status

from samen.api.auth import TokenRequest, token_auth
from samen.api.errors import READ, WRITE, BadRequest, answers
from samen.api.schemas import choice
from samen.giving import access as giving_access
from samen.giving import outreach as campaign_outreach
from samen.outreach import access, actions, stats
from samen.outreach.attribution import CONVERSION_KINDS, share_links
from samen.outreach.models import Message
from samen.people.models import Member

router = Router(tags=["outreach"])

NO_VARIANT = gettext_noop("A message needs at least one variant with a text.")
DUPLICATE_LABEL = gettext_noop("Each variant needs its own label.")
BAD_MODEL = gettext_noop("model must be `first` or `last`.")
BAD_GOAL = gettext_noop("goal must be empty or one of the conversion kinds.")


class VariantIn(Schema):
    label: str = Field(pattern=r"^[A-Z]{1,2}$", description=gettext_noop("A, B, C…"))
    text: str = Field(min_length=1, max_length=1000)
    sms_text: str = Field("", max_length=140)
    channel_texts: dict[str, str] = Field(
        default_factory=dict,
        description=gettext_noop(
            "A text of its own per channel (x, linkedin, facebook, whatsapp, email); the share text where "
            "none. On X at most 256 characters: the link takes the rest."
        ),
    )
    email_subject: str = Field("", max_length=140)
    preview_title: str = Field("", max_length=100)
    preview_description: str = Field("", max_length=200)


class MessageIn(Schema):
    title: str = Field(min_length=1, max_length=140)
    target: str = Field(
        "", max_length=500, description=gettext_noop("A path on this site; the initiative's page when empty.")
    )
    variants: list[VariantIn]


class ShareLinkOut(Schema):
    channel: str
    label: str
    url: str = Field(description=gettext_noop("Opens the channel with the text and the link filled in."))
    short_url: str
    text: str = Field(description=gettext_noop("What to post on this channel with the link."))


class VariantOut(Schema):
    label: str
    text: str
    sms_text: str
    channel_texts: dict[str, str]
    email_subject: str
    preview_title: str
    preview_description: str
    share_links: list[ShareLinkOut]


class SubjectOut(Schema):
    kind: str = choice(
        ["initiative", "campaign"],
        description=gettext_noop("What the message is about: `initiative` or `campaign`."),
    )
    url: str


class MessageOut(Schema):
    id: int
    initiative: str | None = Field(description=gettext_noop("Empty for a campaign's message."))
    subject: SubjectOut | None
    title: str
    target: str
    created_at: str
    variants: list[VariantOut]


class RowOut(Schema):
    key: list[str | int | None]
    label: str
    clicks: int
    unique_visitors: int
    converting_visitors: int
    conversions: dict[str, int]
    conversion_rate: float | None
    money_minor: dict[str, int]
    minutes: int


class ComparisonOut(Schema):
    a: str
    b: str
    z: float | None
    p_value: float | None
    winner: str | None
    explanation: str


class StatsOut(Schema):
    model: str = choice(stats.MODELS)
    goal: str = choice(["", *CONVERSION_KINDS])
    variants: list[RowOut]
    channels: list[RowOut]
    promoters: list[RowOut]
    comparisons: list[ComparisonOut]


class StatsQuery(Schema):
    model: str = choice(
        stats.MODELS, "last", description=gettext_noop("Credit conversions to the `first` or `last` touch.")
    )
    goal: str = choice(
        ["", *CONVERSION_KINDS],
        "",
        description=gettext_noop("Compare variants on one conversion kind; any when empty."),
    )


def _subject_out(message: Message) -> dict | None:
    subject, kind = message.subject, message.subject_type
    if subject is None or kind is None:
        return None
    return {"kind": kind.model, "url": subject.get_absolute_url()}


def _message_out(request, message: Message, promoter=None, target: str = "") -> dict:
    return {
        "id": message.pk,
        "initiative": message.initiative.slug if message.initiative is not None else None,
        "subject": _subject_out(message),
        "title": message.title,
        "target": message.target,
        "created_at": message.created_at.isoformat(),
        "variants": [
            {
                "label": variant.label,
                "text": variant.text,
                "sms_text": variant.sms_text,
                "channel_texts": variant.channel_texts or {},
                "email_subject": variant.email_subject,
                "preview_title": variant.preview_title,
                "preview_description": variant.preview_description,
                "share_links": [
                    link.__dict__
                    for link in share_links(
                        request,
                        target=target or message.target,
                        text=variant.text,
                        variant=variant,
                        promoter=promoter,
                        email_subject=variant.email_subject,
                    )
                ],
            }
            for variant in message.variants.all()
        ],
    }


def _team_message(user, pk: int) -> Message:
    return access.get_any_message_for_team(user, pk)


def _row(row: stats.Row) -> dict:
    return {
        "key": list(row.key),
        "label": str(row.label),
        "clicks": row.clicks,
        "unique_visitors": row.visitors,
        "converting_visitors": row.converters,
        "conversions": {kind: count for kind, count in row.by_kind()},
        "conversion_rate": row.rate,
        "money_minor": dict(row.money),
        "minutes": row.minutes,
    }


@router.get(
    "/initiatives/{slug}/outreach/messages",
    response=answers(list[MessageOut], READ, 403),
    auth=token_auth,
    summary=gettext_noop("An initiative's outreach messages"),
    description=gettext_noop(
        "For the initiative's team; newest first, with each variant's tracked share links."
    ),
)
def list_messages(request: TokenRequest, slug: str):
    initiative, _role = access.get_initiative_for_outreach(request.auth, slug)
    found = Message.objects.filter(initiative=initiative).prefetch_related("variants")
    result = []
    for message in found:
        message.initiative = initiative
        result.append(_message_out(request, message))
    return result


@router.post(
    "/initiatives/{slug}/outreach/messages",
    response=answers({201: MessageOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Write an outreach message"),
    description=gettext_noop("With one or more variants (A, B, …); links lead only to this site."),
)
def create_message(request: TokenRequest, slug: str, payload: MessageIn):
    initiative, _role = access.get_initiative_for_outreach(request.auth, slug)
    message = _create(request, payload, initiative, initiative)
    message.initiative = initiative
    return Status(201, _message_out(request, message))


def _create(request: TokenRequest, payload: MessageIn, initiative, subject) -> Message:
    if not payload.variants:
        raise BadRequest(NO_VARIANT)
    labels = [variant.label for variant in payload.variants]
    if len(set(labels)) != len(labels):
        raise BadRequest(DUPLICATE_LABEL)
    for variant in payload.variants:
        problems = actions.channel_text_problems(variant.text, variant.channel_texts)
        if problems:
            where, problem = next(iter(problems.items()))
            raise BadRequest(problem, {f"variants.{variant.label}.{where}": list(problems.values())})
    try:
        return actions.create_message(
            initiative,
            by=request.auth,
            title=payload.title,
            target=payload.target,
            variants=[variant.dict() for variant in payload.variants],
            subject=subject,
        )
    except ValidationError as exc:
        raise BadRequest(exc.messages[0], {"target": exc.messages}) from exc


@router.get(
    "/campaigns/{slug}/outreach/messages",
    response=answers(list[MessageOut], READ, 403),
    auth=token_auth,
    summary=gettext_noop("A campaign's outreach messages"),
    description=gettext_noop(
        "For the campaign's organiser; newest first, with each variant's tracked links."
    ),
)
def list_campaign_messages(request: TokenRequest, slug: str):
    campaign = giving_access.get_campaign_for_organiser(request.auth, slug)
    found = campaign_outreach.scope_for(campaign).messages().prefetch_related("variants")
    return [_message_out(request, message) for message in found]


@router.post(
    "/campaigns/{slug}/outreach/messages",
    response=answers({201: MessageOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Write an outreach message for a campaign"),
    description=gettext_noop(
        "For the campaign's organiser. Links lead to the campaign's page unless a target is given; "
        "a promoter's own links lead to their page."
    ),
)
def create_campaign_message(request: TokenRequest, slug: str, payload: MessageIn):
    campaign = giving_access.get_campaign_for_organiser(request.auth, slug)
    return Status(201, _message_out(request, _create(request, payload, None, campaign)))


@router.get(
    "/outreach/messages/{message_id}",
    response=answers(MessageOut, READ, 403),
    auth=token_auth,
    summary=gettext_noop("One outreach message"),
)
def get_message(request: TokenRequest, message_id: int):
    return _message_out(request, _team_message(request.auth, message_id))


@router.post(
    "/outreach/messages/{message_id}/my-links",
    response=answers(MessageOut, WRITE),
    auth=token_auth,
    summary=gettext_noop("My own promoter links for a message"),
    description=gettext_noop(
        "Any member who can see the initiative; clicks and what follows count for them."
    ),
)
def my_links(request: TokenRequest, message_id: int):
    message, target = access.get_any_message_for_promoter(request.auth, message_id)
    return _message_out(request, message, promoter=request.auth, target=target)


@router.get(
    "/outreach/messages/{message_id}/stats",
    response=answers(StatsOut, READ, 400, 403),
    auth=token_auth,
    summary=gettext_noop("What a message brought"),
    description=gettext_noop(
        "Clicks, unique visitors and conversions per variant, channel and promoter, and a two-proportion "
        "z-test between the variants."
    ),
)
def message_stats(request: HttpRequest, message_id: int, query: Query[StatsQuery]):
    message = _team_message(request.auth, message_id)  # type: ignore[attr-defined]
    if query.model not in stats.MODELS:
        raise BadRequest(BAD_MODEL)
    if query.goal and query.goal not in CONVERSION_KINDS:
        raise BadRequest(BAD_GOAL)
    labels = dict(message.variants.values_list("pk", "label"))
    cube = stats.Cube(message, model=query.model, goal=query.goal)
    by_variant = cube.rows("variant", label_of=lambda key: labels.get(key[0], ""))
    promoters = cube.rows("promoter")
    names = {
        m.pk: m.display_name for m in Member.objects.filter(pk__in=[r.key[0] for r in promoters if r.key[0]])
    }
    comparisons = [stats.z_test(by_variant[0], other) for other in by_variant[1:]]
    return {
        "model": query.model,
        "goal": query.goal,
        "variants": [_row(row) for row in by_variant],
        "channels": [
            _row(row) for row in stats.grouped(message, "channel", model=query.model, goal=query.goal)
        ],
        "promoters": [_row(row) for row in cube.rows("promoter", label_of=lambda key: names.get(key[0], ""))],
        "comparisons": [
            {
                "a": c.a.label,
                "b": c.b.label,
                "z": c.z,
                "p_value": c.p_value,
                "winner": c.winner.label if c.winner else None,
                "explanation": c.explanation,
            }
            for c in comparisons
        ],
    }
