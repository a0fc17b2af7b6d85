"""Access helpers for initiatives: the only way views and the API fetch one.

Every feature app that hangs off an initiative (plans, tasks, fundraising, report maps) asks
`role_for()` who the viewer is, rather than checking team rows itself.
"""

from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.http import Http404

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


def initiative_by_slug(slug: str) -> Initiative:
    """What get_object_or_404(Initiative, slug=slug) returns, by a hand-written query.

    Every initiative page and API call starts here. Building and compiling that ORM query took more
    CPU than running it, and once the page's shared parts were cached it was the largest cost left
    on the initiative page. The SQL is the same unique-index lookup; SELECT * maps the columns to
    fields by name, so it stays right as fields are added (test_access checks it against the ORM).
    """
    db = router.db_for_read(Initiative)
    quote = connections[db].ops.quote_name
    opts = Initiative._meta
    slug_column = opts.get_field("slug").column
    assert slug_column is not None  # a concrete field always has one
    # Only quoted names from the model's metadata are formatted in; the slug is a parameter.
    sql = f"SELECT * FROM {quote(opts.db_table)} WHERE {quote(slug_column)} = %s"  # noqa: S608
    found = list(Initiative.objects.db_manager(db).raw(sql, [slug]))
    if not found:
        raise Http404(f"No {opts.object_name} matches the given query.")
    return found[0]


def get_initiative_for_viewer(user, slug: str) -> tuple[Initiative, Role]:
    initiative = initiative_by_slug(slug)
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
