"""The only way views, the API and SMS handlers fetch opportunities, participations and hours.

- An opportunity is as visible as its initiative (drafts: team only); a refusal is a 404.
- Participations, motivations and time entries are private to the participant and the team.
- The discussion is for accepted participants and the team.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from samen.core.access import Role, deny, is_signed_in
from samen.initiatives.access import can_view, role_for

from .models import Opportunity, Participation, TimeEntry


def get_opportunity_for_viewer(user, pk: int) -> tuple[Opportunity, Role]:
    opportunity = Opportunity.objects.select_related("initiative").filter(pk=pk).first()
    if opportunity is None:
        raise deny()
    role = role_for(user, opportunity.initiative)
    if not can_view(role, opportunity.initiative):
        raise deny()
    return opportunity, role


def get_opportunity_for_team(user, pk: int) -> tuple[Opportunity, Role]:
    """For changes: the team; others who may see it get 403, the rest 404."""
    opportunity, role = get_opportunity_for_viewer(user, pk)
    if role < Role.TEAM:
        raise PermissionDenied
    return opportunity, role


def is_team(role: Role) -> bool:
    return role >= Role.TEAM


def participation_of(user, opportunity: Opportunity) -> Participation | None:
    if not is_signed_in(user):
        return None
    return Participation.objects.filter(opportunity=opportunity, member=user).first()


def can_discuss(role: Role, participation: Participation | None) -> bool:
    return is_team(role) or (participation is not None and participation.is_active)


def participations_for_viewer(role: Role, opportunity: Opportunity, user) -> QuerySet[Participation]:
    """The team sees everyone's; a member only their own row."""
    rows = Participation.objects.filter(opportunity=opportunity).select_related("member")
    if is_team(role):
        return rows
    if not is_signed_in(user):
        return rows.none()
    return rows.filter(member=user)


def get_participation_for_team(user, pk: int) -> tuple[Participation, Role]:
    participation = (
        Participation.objects.select_related("opportunity__initiative", "member").filter(pk=pk).first()
    )
    if participation is None:
        raise deny()
    role = role_for(user, participation.opportunity.initiative)
    if role < Role.TEAM:
        raise deny()
    return participation, role


def get_participation_for_member(user, pk: int) -> Participation:
    """A participant's own row (to withdraw, log hours, answer an invitation)."""
    if not is_signed_in(user):
        raise deny()
    participation = (
        Participation.objects.select_related("opportunity__initiative").filter(pk=pk, member=user).first()
    )
    if participation is None:
        raise deny()
    return participation


def get_time_entry_for_team(user, pk: int) -> tuple[TimeEntry, Role]:
    entry = (
        TimeEntry.objects.select_related("participation__opportunity__initiative", "participation__member")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise deny()
    role = role_for(user, entry.participation.opportunity.initiative)
    if role < Role.TEAM:
        raise deny()
    return entry, role


def time_entries_for_viewer(role: Role, opportunity: Opportunity, user) -> QuerySet[TimeEntry]:
    rows = TimeEntry.objects.filter(participation__opportunity=opportunity).select_related(
        "participation__member"
    )
    if is_team(role):
        return rows
    if not is_signed_in(user):
        return rows.none()
    return rows.filter(participation__member=user)
