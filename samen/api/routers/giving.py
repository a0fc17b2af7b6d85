"""Giving: campaigns and their leaderboards (public), pledges (with a token), an initiative's donations (team).

Donations are created by samen.giving.actions.create_donation, exactly as the web form does;
through the API only pledges can be made (an online payment needs the donor in a browser).
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema, Status
from ninja.errors import Throttled

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, BadRequest, answers
from samen.api.schemas import absolute, choice
from samen.core import throttle
from samen.giving import access, actions
from samen.giving.models import CampaignProject, Donation, Promoter
from samen.giving.views import board_context
from samen.initiatives.access import get_initiative_for_viewer

router = Router(tags=["giving"])


class MatchOut(Schema):
    sponsor: str
    cap_minor: int
    matched_minor: int


class CampaignOut(Schema):
    slug: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    raised_minor: int
    received_minor: int = Field(description=gettext_noop("Paid: succeeded payments and pledges marked paid."))
    promised_minor: int = Field(
        description=gettext_noop("Pledged, not paid yet; raised_minor is both together.")
    )
    donation_count: int
    url: str

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class CampaignDetailOut(Schema):
    slug: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    raised_minor: int
    received_minor: int = Field(description=gettext_noop("Paid: succeeded payments and pledges marked paid."))
    promised_minor: int = Field(
        description=gettext_noop("Pledged, not paid yet; raised_minor is both together.")
    )
    donation_count: int
    url: str
    running: bool
    ended: bool
    matched_minor: int
    total_minor: int = Field(description=gettext_noop("Raised plus matched."))
    matching: list[MatchOut]


class PromoterRow(Schema):
    id: int
    rank: int
    name: str
    initiative: str = Field(description=gettext_noop("The slug of the initiative this promoter raises for."))
    raised_minor: int
    received_minor: int = Field(description=gettext_noop("Paid: succeeded payments and pledges marked paid."))
    promised_minor: int = Field(
        description=gettext_noop("Pledged, not paid yet; raised_minor is both together.")
    )
    target_minor: int
    donation_count: int
    url: str


class ProjectRow(Schema):
    id: int
    rank: int
    initiative: str
    title: str
    raised_minor: int
    received_minor: int = Field(description=gettext_noop("Paid: succeeded payments and pledges marked paid."))
    promised_minor: int = Field(
        description=gettext_noop("Pledged, not paid yet; raised_minor is both together.")
    )
    target_minor: int
    donation_count: int


class LeaderboardOut(Schema):
    campaign: str
    currency: str
    running: bool
    ended: bool
    seconds_left: int
    raised_minor: int
    received_minor: int = Field(description=gettext_noop("Paid: succeeded payments and pledges marked paid."))
    promised_minor: int = Field(
        description=gettext_noop("Pledged, not paid yet; raised_minor is both together.")
    )
    matched_minor: int
    total_minor: int
    promoters: list[PromoterRow]
    projects: list[ProjectRow]


class PledgeIn(Schema):
    amount_minor: int = Field(gt=0, description=gettext_noop("In minor units: 1250 is €12.50."))
    currency: str = Field(min_length=3, max_length=3)
    email: str = Field(
        "", max_length=254, description=gettext_noop("For the receipt; your account's when left out.")
    )
    name: str = Field("", max_length=120)
    message: str = Field("", max_length=500)
    anonymous: bool = False
    monthly: bool = False
    promoter: int | None = Field(
        None, description=gettext_noop("A promoter's id, to credit the pledge to them.")
    )
    project: int | None = Field(None, description=gettext_noop("A campaign project's id."))


class DonationOut(Schema):
    id: str
    initiative: str
    amount_minor: int
    currency: str
    state: str = choice(Donation.State.values)
    provider: str = Field(
        description=gettext_noop("How it is paid: pledge, or an online provider such as stripe.")
    )
    anonymous: bool
    monthly: bool
    campaign: str | None
    promoter: int | None
    late_for_campaign: bool
    created_at: datetime
    url: str

    @staticmethod
    def resolve_id(obj):
        return str(obj.public_id)

    @staticmethod
    def resolve_initiative(obj):
        return obj.initiative.slug

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.slug if obj.campaign_id else None

    @staticmethod
    def resolve_promoter(obj):
        return obj.promoter_id

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class TeamDonationOut(DonationOut):
    name: str
    email: str
    message: str


def _campaign_out(campaign) -> dict:
    matching = actions.matching_for(campaign)
    return {
        **{
            f: getattr(campaign, f)
            for f in ("slug", "title", "description", "starts_at", "ends_at", "currency")
        },
        "raised_minor": campaign.raised_minor,
        "received_minor": campaign.received_minor,
        "promised_minor": campaign.promised_minor,
        "donation_count": campaign.donation_count,
        "url": campaign.get_absolute_url(),
        "running": campaign.is_running(),
        "ended": campaign.has_ended(),
        "matched_minor": matching.matched_minor,
        "total_minor": matching.total_minor,
        "matching": [
            {"sponsor": m.fund.sponsor, "cap_minor": m.fund.cap_minor, "matched_minor": m.matched_minor}
            for m in matching.matches
        ],
    }


@router.get(
    "/campaigns",
    response=answers(list[CampaignOut], 401),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("List campaigns"),
)
def list_campaigns(request: HttpRequest):
    from samen.giving.models import Campaign

    viewer(request)  # a token sent with a typo is refused here too, not silently ignored
    return Campaign.objects.all()[:100]


@router.get(
    "/campaigns/{slug}",
    response=answers(CampaignDetailOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One campaign, with its matching"),
)
def get_campaign(request: HttpRequest, slug: str):
    viewer(request)
    campaign = access.get_campaign(slug)
    out = _campaign_out(campaign)
    out["url"] = absolute({"request": request}, campaign.get_absolute_url())
    return out


@router.get(
    "/campaigns/{slug}/leaderboard",
    response=answers(LeaderboardOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("A campaign's leaderboard"),
    description=gettext_noop("Promoters and projects, most raised first; the same figures as the web page."),
)
def get_leaderboard(request: HttpRequest, slug: str):
    viewer(request)
    campaign = access.get_campaign(slug)
    board = board_context(campaign)
    context = {"request": request}
    return {
        "campaign": campaign.slug,
        "currency": campaign.currency,
        "running": board["running"],
        "ended": board["ended"],
        "seconds_left": max(0, int((campaign.ends_at - board["now"]).total_seconds())),
        "raised_minor": campaign.raised_minor,
        "received_minor": campaign.received_minor,
        "promised_minor": campaign.promised_minor,
        "matched_minor": board["matching"].matched_minor,
        "total_minor": board["matching"].total_minor,
        "promoters": [
            {
                "id": p.pk,
                "rank": rank,
                "name": p.member.name,
                "initiative": p.project.initiative.slug,
                "raised_minor": p.raised_minor,
                "received_minor": p.received_minor,
                "promised_minor": p.promised_minor,
                "target_minor": p.target_minor,
                "donation_count": p.donation_count,
                "url": absolute(context, p.get_absolute_url()),
            }
            for rank, p in enumerate(board["promoters"], 1)
        ],
        "projects": [
            {
                "id": p.pk,
                "rank": rank,
                "initiative": p.initiative.slug,
                "title": p.initiative.title,
                "raised_minor": p.raised_minor,
                "received_minor": p.received_minor,
                "promised_minor": p.promised_minor,
                "target_minor": p.target_minor,
                "donation_count": p.donation_count,
            }
            for rank, p in enumerate(board["projects"], 1)
        ],
    }


@router.post(
    "/initiatives/{slug}/pledges",
    response=answers({201: DonationOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Pledge money to an initiative"),
    description=gettext_noop(
        "A promise to pay, which the initiative's owner marks paid when the money arrives. Credit it to a "
        "campaign promoter with `promoter`; a pledge made after the campaign's end counts only for the initiative."
    ),
)
def create_pledge(request: TokenRequest, slug: str, payload: PledgeIn):
    initiative, _role = get_initiative_for_viewer(request.auth, slug)
    promoter = project = None
    if payload.promoter is not None:
        promoter = (
            Promoter.objects.select_related("project__campaign", "project__initiative")
            .filter(pk=payload.promoter)
            .first()
        )
        if promoter is None:
            raise BadRequest(
                "promoter: there is no such promoter.", {"promoter": ["there is no such promoter."]}
            )
    elif payload.project is not None:
        project = CampaignProject.objects.select_related("campaign").filter(pk=payload.project).first()
        if project is None:
            raise BadRequest("project: there is no such project.", {"project": ["there is no such project."]})
    email = payload.email.strip() or request.auth.email
    wait = throttle.hit(request, "donate", key=f"member:{request.auth.pk}")
    if wait is not None:
        raise Throttled(wait)
    try:
        donation, _url = actions.create_donation(
            initiative,
            amount_minor=payload.amount_minor,
            currency=payload.currency.upper(),
            email=email,
            name=payload.name or request.auth.name,
            message=payload.message,
            anonymous=payload.anonymous,
            monthly=payload.monthly,
            provider="pledge",
            member=request.auth,
            promoter=promoter,
            project=project,
        )
    except actions.DonationError as error:
        field = error.field or "__all__"
        raise BadRequest(f"{field}: {error}", {field: [str(error)]}) from None
    donation = Donation.objects.select_related("initiative", "campaign").get(pk=donation.pk)
    return Status(201, donation)


@router.get(
    "/initiatives/{slug}/donations",
    response=answers(list[TeamDonationOut], READ, 403),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("An initiative's donations (team only)"),
    description=gettext_noop("With the token of someone on the initiative's team; everyone else gets 403."),
)
def list_donations(request: HttpRequest, slug: str):
    _initiative, _role, rows = access.donations_for_team(viewer(request), slug)
    return rows.select_related("initiative", "campaign")[:500]
