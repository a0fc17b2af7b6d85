"""A campaign's outreach: its organiser writes messages with variants and reads their dashboard.

The pages are outreach's own (samen.outreach.pages), served under /give/campaigns/<slug>/outreach/
for the organiser. The rules registered here tell outreach who manages a campaign's messages, who
may share them (any signed-in member; a promoter's links lead to their own page, so what they
raise is credited to them) and who hears from the campaign when a variant is sent (the followers
of its projects' initiatives, and its promoters).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from samen.core.access import is_signed_in
from samen.outreach import pages, scopes
from samen.people.models import Member

from . import access
from .models import Campaign, Promoter


def _managed_by(campaign: Campaign, user) -> bool:
    return is_signed_in(user) and campaign.organiser_id == user.pk


def _target_for(campaign: Campaign, member) -> str | None:
    promoter = Promoter.objects.filter(campaign=campaign, member=member).first()
    return promoter.get_absolute_url() if promoter else None


def _audience(campaign: Campaign):
    initiatives = campaign.projects.values("initiative_id")
    promoters = Promoter.objects.filter(campaign=campaign).values("member_id")
    return Member.objects.filter(
        Q(pk__in=Member.objects.filter(follows__initiative__in=initiatives).values("pk"))
        | Q(pk__in=promoters),
        is_active=True,
    )


def _reason(campaign: Campaign) -> str:
    return _("You get this because you follow an initiative in %(campaign)s, or promote one, on Samen.") % {
        "campaign": campaign.title
    }


RULES = scopes.SubjectRules(
    managed_by=_managed_by,
    is_public=lambda campaign: True,
    target_for=_target_for,
    audience=_audience,
    reason=_reason,
)


def scope_for(campaign: Campaign) -> scopes.Scope:
    return scopes.for_subject(
        campaign,
        url_prefix="giving:outreach_",
        url_kwargs={"slug": campaign.slug},
        back_label=_("Back to the campaign"),
    )


def _organiser_scope(request, slug: str) -> scopes.Scope:
    return scope_for(access.get_campaign_for_organiser(request.user, slug))


(
    overview,
    message_new,
    message_detail,
    message_edit,
    message_delete,
    message_send,
    message_csv,
) = pages.manager_views(_organiser_scope)


@login_required
@require_safe
def message_share(request, slug, pk):
    """Any signed-in member gets their own links; a promoter's lead to their own page."""
    campaign = access.get_campaign(slug)
    scope = scope_for(campaign)
    message = pages.get_message(scope, pk)
    return pages.message_share(request, scope, message, target=_target_for(campaign, request.user))


def messages_to_share(campaign: Campaign) -> list:
    """The campaign's messages, newest first, each with the URL of its share page."""
    scope = scope_for(campaign)
    return [(message, scope.url("message_share", message.pk)) for message in scope.messages()[:10]]
