"""The only way views and the API fetch giving things.

Campaigns, promoters, goals and the supporters list are public (anonymous donors show as
"Anonymous"). Donor details (e-mail, name behind an anonymous gift) are for the initiative's
team; marking paid and refunding are for its owner. A campaign is managed by its organiser.
"""

from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.http import Http404

from samen.core.access import Role, deny, is_signed_in
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer

from .models import Campaign, Donation, Promoter


def get_campaign(slug: str) -> Campaign:
    """Campaigns are public. A hand-written query, as initiatives.access.initiative_by_slug does:

    the leaderboard is polled by everyone during a campaign, and compiling the ORM query cost more
    than running it. Only quoted names from the model's metadata are formatted in.
    """
    db = router.db_for_read(Campaign)
    quote = connections[db].ops.quote_name
    opts = Campaign._meta
    slug_column = opts.get_field("slug").column
    assert slug_column is not None
    sql = f"SELECT * FROM {quote(opts.db_table)} WHERE {quote(slug_column)} = %s"  # noqa: S608
    found = list(Campaign.objects.db_manager(db).raw(sql, [slug]))
    if not found:
        raise deny()
    return found[0]


def get_campaign_for_organiser(user, slug: str) -> Campaign:
    campaign = get_campaign(slug)
    if not is_signed_in(user) or campaign.organiser_id != user.pk:
        raise PermissionDenied
    return campaign


def get_promoter(campaign: Campaign, pk: int) -> Promoter:
    promoter = (
        Promoter.objects.filter(campaign=campaign, pk=pk)
        .select_related("member", "project__initiative")
        .first()
    )
    if promoter is None:
        raise deny()
    return promoter


def donations_for_team(user, slug: str):
    """(initiative, role, donations with donor details): the team sees them, others 403/404."""
    initiative, role = get_initiative_for_team(user, slug)
    # New donations are payments never started, left out; a pledge awaiting its donor's e-mail
    # confirmation is shown, so the team knows of it (it counts nowhere yet).
    donations = Donation.objects.filter(initiative=initiative).exclude(
        state=Donation.State.NEW, awaiting_confirmation=False
    )
    return initiative, role, donations


def get_donation_for_owner(user, slug: str, pk: int) -> Donation:
    initiative, _ = get_initiative_for_team(user, slug, owner_only=True)
    donation = Donation.objects.filter(initiative=initiative, pk=pk).select_related("initiative").first()
    if donation is None:
        raise deny()
    return donation


def get_donation_by_public_id(public_id) -> Donation:
    """The donor's own page: the unguessable id in their return link is the key to it."""
    try:
        donation = Donation.objects.select_related("initiative").filter(public_id=public_id).first()
    except (ValueError, Http404):
        donation = None
    if donation is None:
        raise deny()
    return donation


def supporters(initiative, limit: int = 50):
    """Public: who gave (anonymous gifts without a name), newest first; a monthly gift once."""
    return (
        Donation.objects.filter(
            initiative=initiative,
            state__in=[Donation.State.SUCCEEDED, Donation.State.PENDING],
            parent__isnull=True,
        )
        .exclude(state=Donation.State.PENDING, provider__in=["stripe", "mollie"])
        .only("name", "anonymous", "amount_minor", "currency", "message", "created_at", "state", "provider")
        .order_by("-created_at", "-id")[:limit]
    )


__all__ = [
    "Role",
    "donations_for_team",
    "get_campaign",
    "get_campaign_for_organiser",
    "get_donation_by_public_id",
    "get_donation_for_owner",
    "get_initiative_for_viewer",
    "get_promoter",
    "supporters",
]
