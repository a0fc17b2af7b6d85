"""Access helpers for initiatives: the only way views and the API fetch one.

Every feature app that hangs off an initiative (plans, tasks, fundraising, report maps) asks
`role_for()` who the viewer is, rather than checking team rows itself.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from samen.core.access import Role, deny, is_signed_in

from .models import Follow, Initiative, TeamMember


def role_for(user, initiative: Initiative) -> Role:
    if not is_signed_in(user):
        return Role.ANONYMOUS
    team_role = (
        TeamMember.objects.filter(initiative=initiative, member=user).values_list("role", flat=True).first()
    )
    if team_role == TeamMember.Role.OWNER:
        return Role.OWNER
    if team_role == TeamMember.Role.TEAM:
        return Role.TEAM
    if Follow.objects.filter(initiative=initiative, member=user).exists():
        return Role.MEMBER
    return Role.OUTSIDER


def can_view(role: Role, initiative: Initiative) -> bool:
    """Drafts are for the team only; open and closed initiatives are public."""
    return initiative.status != Initiative.Status.DRAFT or role >= Role.TEAM


def get_initiative_for_viewer(user, slug: str) -> tuple[Initiative, Role]:
    initiative = get_object_or_404(Initiative, slug=slug)
    role = role_for(user, initiative)
    if not can_view(role, initiative):
        raise deny()
    return initiative, role


def get_initiative_for_team(user, slug: str, *, owner_only: bool = False) -> tuple[Initiative, Role]:
    """For actions that change an initiative. Outsiders who may see it get 403; others 404."""
    initiative, role = get_initiative_for_viewer(user, slug)
    needed = Role.OWNER if owner_only else Role.TEAM
    if role < needed:
        raise PermissionDenied
    return initiative, role
