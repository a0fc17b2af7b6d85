"""Initiative pages. Views parse the request, call one model method or action, and render.

Every initiative is fetched through access.get_initiative_for_viewer / _for_team.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core.access import Role
from samen.core.cache import fragments as fragment_cache

from . import actions
from .access import get_initiative_for_team, get_initiative_for_viewer
from .forms import (
    AddTeamMemberForm,
    CreateInitiativeForm,
    InitiativeForm,
    ListFilterForm,
    StatusForm,
    UpdateForm,
)
from .models import Initiative, TeamMember, Update
from .search import search_initiatives

PAGE_SIZE = 20
LATEST_UPDATES = 5
# The partials of initiatives/detail.html that every viewer sees alike.
SHARED_FRAGMENTS = ("back", "story", "updates", "facts", "team")
# The key changes whenever the content does; the timeout only bounds how long a cache that
# outlives a deploy (Redis) can serve fragments of the previous version of the template.
SHARED_FRAGMENTS_SECONDS = 60 * 60


def _listing():
    # The story can be 20,000 characters, and its HTML more; cards show neither.
    return Initiative.objects.public().defer("story", "story_rendered")


@require_safe
def home(request):
    latest = _listing().filter(status=Initiative.Status.OPEN)[:6]
    return render(request, "initiatives/home.html", {"initiatives": latest})


@require_safe
def initiative_list(request):
    form = ListFilterForm(request.GET or None)
    initiatives = _listing()
    # An invalid filter is reported beside its field and left out of cleaned_data; the rest still apply.
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    if filters.get("status"):
        initiatives = initiatives.filter(status=filters["status"])
    if filters.get("cause"):
        initiatives = initiatives.with_cause(filters["cause"])
    if filters.get("place"):
        initiatives = initiatives.in_place(filters["place"])
    if filters.get("q"):
        initiatives = search_initiatives(initiatives, filters["q"])
    page = Paginator(initiatives, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "initiatives/list.html",
        {"form": form, "page": page, "initiatives": page.object_list, "searching": any(filters.values())},
    )


def _detail_context(request, initiative, role, *, following=None):
    if following is None:
        # role_for() says MEMBER for followers, but a team member may follow too.
        following = role == Role.MEMBER or (role >= Role.TEAM and initiative.is_followed_by(request.user))
    return {
        "initiative": initiative,
        "role": role,
        "is_team": role >= Role.TEAM,
        "is_owner": role == Role.OWNER,
        "following": following,
    }


def _shared_fragments(initiative) -> dict[str, str]:
    """The parts of the initiative page that look the same to every viewer, as HTML.

    Rendering them (and the two queries behind the team and the updates) was most of the page's
    cost, so they are cached, in one entry, under Initiative.cache_version, which changes with
    everything they show, and under the language and time zone they were rendered in. They are
    rendered without the request: no CSRF token, user or session can end up in them.
    """
    key = ":".join(
        ["initiatives:page", initiative.cache_version, get_language(), timezone.get_current_timezone_name()]
    )
    fragments = fragment_cache.get(key)
    if fragments is None:
        context = {
            "initiative": initiative,
            "team": initiative.team.select_related("member").order_by("role", "added_at"),
            "updates": initiative.updates.select_related("author")[:LATEST_UPDATES],
        }
        fragments = {
            name: render_to_string(f"initiatives/detail.html#{name}", context) for name in SHARED_FRAGMENTS
        }
        fragment_cache.set(key, fragments, SHARED_FRAGMENTS_SECONDS)
    return fragments


@require_safe
def initiative_detail(request, slug):
    initiative, role = get_initiative_for_viewer(request.user, slug)
    context = _detail_context(request, initiative, role)
    context["shared"] = _shared_fragments(initiative)
    if context["is_owner"]:
        # Only owners see the status form; nobody else should pay for building it.
        context["status_form"] = StatusForm(initial={"status": initiative.status})
    return render(request, "initiatives/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_create(request):
    form = CreateInitiativeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        initiative = actions.start_initiative(request.user, **fields)
        messages.success(request, _("Your initiative is ready. Tell people about it!"))
        return redirect(initiative)
    return render(request, "initiatives/form.html", {"form": form, "initiative": None})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    old_image = initiative.image.name
    form = InitiativeForm(request.POST or None, request.FILES or None, instance=initiative)
    if request.method == "POST" and form.is_valid():
        initiative = form.save()
        if old_image and old_image != initiative.image.name:
            # A replaced or removed image may show where someone was; do not keep it around.
            storage = initiative.image.storage
            transaction.on_commit(lambda: storage.delete(old_image))
        messages.success(request, _("Saved."))
        return redirect(initiative)
    if request.method == "POST":
        # A failed POST must not show the half-edited instance as if it were saved.
        initiative.refresh_from_db()
    return render(request, "initiatives/form.html", {"form": form, "initiative": initiative})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_status(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug, owner_only=True)
    form = StatusForm(request.POST or None, initial={"status": initiative.status})
    if request.method == "POST" and form.is_valid():
        initiative.set_status(form.cleaned_data["status"])
        messages.success(
            request, _("The status is now “%(status)s”.") % {"status": initiative.get_status_display()}
        )
        return redirect(initiative)
    return render(request, "initiatives/status.html", {"form": form, "initiative": initiative})


@login_required
@require_http_methods(["GET", "POST"])
def team_manage(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug, owner_only=True)
    form = AddTeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            initiative.add_team_member(form.member, form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("%(name)s is on the team now.") % {"name": form.member.display_name})
            return redirect("initiatives:team", initiative.slug)
    team = initiative.team.select_related("member").order_by("role", "added_at")
    return render(request, "initiatives/team.html", {"form": form, "initiative": initiative, "team": team})


@login_required
@require_POST
def team_remove(request, slug, pk):
    initiative, _role = get_initiative_for_team(request.user, slug, owner_only=True)
    team_member = get_object_or_404(TeamMember.objects.select_related("member"), pk=pk, initiative=initiative)
    try:
        initiative.remove_team_member(team_member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("initiatives:team", initiative.slug)
    messages.success(
        request, _("%(name)s is no longer on the team.") % {"name": team_member.member.display_name}
    )
    if team_member.member_id == request.user.pk:
        # An owner who stepped down can no longer manage the team (nor see a draft).
        return redirect(initiative if initiative.is_public else "initiatives:list")
    return redirect("initiatives:team", initiative.slug)


def _follow_response(request, initiative, role, *, following: bool):
    if request.htmx:
        # Swap just the button and the count beside it.
        context = _detail_context(request, initiative, role, following=following)
        return render(request, "initiatives/detail.html#follow", context)
    if following:
        messages.success(request, _("You follow this initiative. Its updates will reach you."))
    else:
        messages.success(request, _("You no longer follow this initiative."))
    return redirect(initiative)


@login_required
@require_POST
def follow(request, slug):
    initiative, role = get_initiative_for_viewer(request.user, slug)
    initiative.follow(request.user)
    return _follow_response(request, initiative, role, following=True)


@login_required
@require_POST
def unfollow(request, slug):
    initiative, role = get_initiative_for_viewer(request.user, slug)
    initiative.unfollow(request.user)
    return _follow_response(request, initiative, role, following=False)


@login_required
@require_http_methods(["GET", "POST"])
def update_create(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    form = UpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        update = actions.post_update(
            initiative, request.user, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
        )
        if initiative.is_public:
            messages.success(request, _("Posted. Followers who asked for e-mail will get it shortly."))
        else:
            messages.success(request, _("Posted. It is a draft, so no one is e-mailed."))
        return redirect(update)
    return render(request, "initiatives/update_form.html", {"form": form, "initiative": initiative})


@require_safe
def update_detail(request, slug, pk):
    initiative, _role = get_initiative_for_viewer(request.user, slug)
    update = Update.objects.select_related("author").filter(pk=pk, initiative=initiative).first()
    if update is None:
        raise Http404
    update.initiative = initiative
    return render(request, "initiatives/update_detail.html", {"initiative": initiative, "update": update})
