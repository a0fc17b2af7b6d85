"""Volunteering pages under /volunteer/. Every form is a plain POST that redirects."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samen.impact import ledger
from samen.impact.charts import monthly_chart
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer
from samen.people.models import Member

from . import access, actions, progress, suggest
from .forms import ApplyForm, CommentForm, HoursForm, OpportunityForm, PledgeForm
from .models import Participation, Pledge, TimeEntry

PER_PAGE = 20


def home(request):
    """Suggestions for the signed-in member (with why), then every open task."""
    suggestions = suggest.for_member(request.user) if request.user.is_authenticated else []
    listing = actions.open_opportunities().select_related("initiative").order_by("-created_at", "-id")
    page = Paginator(listing, PER_PAGE).get_page(request.GET.get("page"))
    has_skills = request.user.is_authenticated and bool(request.user.skills)
    return render(
        request,
        "volunteering/home.html",
        {"suggestions": suggestions, "page": page, "has_skills": has_skills},
    )


def detail(request, pk):
    opportunity, role = access.get_opportunity_for_viewer(request.user, pk)
    participation = access.participation_of(request.user, opportunity)
    is_team = access.is_team(role)
    context = {
        "opportunity": opportunity,
        "initiative": opportunity.initiative,
        "role": role,
        "is_team": is_team,
        "participation": participation,
        "places_left": actions.places_left(opportunity),
        "can_discuss": access.can_discuss(role, participation),
        "apply_form": ApplyForm(),
        "hours_form": HoursForm(),
        "comment_form": CommentForm(),
    }
    if context["can_discuss"]:
        context["comments"] = opportunity.comments.select_related("author")
    if participation is not None:
        context["my_hours"] = participation.time_entries.all()
    if is_team:
        context["participations"] = access.participations_for_viewer(role, opportunity, request.user)
        context["pending_hours"] = access.time_entries_for_viewer(role, opportunity, request.user).filter(
            state=TimeEntry.State.PENDING
        )
        context["suggested_members"] = [
            {"member": member, "reasons": suggestion.reasons(for_owner=True)}
            for member, suggestion in suggest.members_for(opportunity, top=5)
        ]
    return render(request, "volunteering/detail.html", context)


@login_required
def create(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    form = OpportunityForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        opportunity = form.save(commit=False)
        opportunity.initiative = initiative
        opportunity.created_by = request.user
        actions.save_opportunity(opportunity)
        messages.success(
            request, _("The task is published. Its SMS code is %(code)s.") % {"code": opportunity.code}
        )
        return redirect(opportunity)
    return render(
        request, "volunteering/form.html", {"form": form, "initiative": initiative, "opportunity": None}
    )


@login_required
def edit(request, pk):
    opportunity, _role = access.get_opportunity_for_team(request.user, pk)
    form = OpportunityForm(request.POST or None, instance=opportunity)
    if request.method == "POST" and form.is_valid():
        actions.save_opportunity(form.save(commit=False))
        messages.success(request, _("Saved."))
        return redirect(opportunity)
    return render(
        request,
        "volunteering/form.html",
        {"form": form, "initiative": opportunity.initiative, "opportunity": opportunity},
    )


def _refused(request, error: ValidationError, target):
    messages.error(request, " ".join(error.messages))
    return redirect(target)


@login_required
@require_POST
def apply(request, pk):
    opportunity, _role = access.get_opportunity_for_viewer(request.user, pk)
    form = ApplyForm(request.POST)
    motivation = form.cleaned_data["motivation"] if form.is_valid() else ""
    try:
        participation, created = actions.apply(
            opportunity, request.user, motivation=motivation, request=request
        )
    except ValidationError as error:
        return _refused(request, error, opportunity)
    if participation.state == Participation.State.ACCEPTED:
        messages.success(request, _("You joined this task."))
    elif created or participation.state == Participation.State.APPLIED:
        messages.success(request, _("You applied. The team will answer you."))
    return redirect(opportunity)


@login_required
@require_POST
def withdraw(request, pk):
    participation = access.get_participation_for_member(request.user, pk)
    if participation.state == Participation.State.INVITED:
        actions.decline_invitation(participation)
        messages.success(request, _("You said no to the invitation."))
    else:
        actions.withdraw(participation)
        messages.success(request, _("You withdrew from this task."))
    return redirect(participation.opportunity)


@login_required
@require_POST
def decide(request, pk):
    participation, _role = access.get_participation_for_team(request.user, pk)
    accept = request.POST.get("decision") == "accept"
    try:
        actions.decide(participation, request.user, accept=accept)
    except ValidationError as error:
        return _refused(request, error, participation.opportunity)
    if accept:
        messages.success(request, _("%(name)s is on the task.") % {"name": participation.member.display_name})
    else:
        messages.success(request, _("You declined %(name)s.") % {"name": participation.member.display_name})
    return redirect(participation.opportunity)


@login_required
@require_POST
def invite(request, pk, member_pk):
    opportunity, _role = access.get_opportunity_for_team(request.user, pk)
    member = get_object_or_404(Member, pk=member_pk, is_active=True)
    try:
        actions.invite(opportunity, member, request.user)
    except ValidationError as error:
        return _refused(request, error, opportunity)
    messages.success(request, _("%(name)s is invited.") % {"name": member.display_name})
    return redirect(opportunity)


@login_required
@require_POST
def comment(request, pk):
    opportunity, role = access.get_opportunity_for_viewer(request.user, pk)
    if not access.can_discuss(role, access.participation_of(request.user, opportunity)):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message first."))
        return redirect(opportunity)
    actions.post_comment(opportunity, request.user, form.cleaned_data["body"])
    return redirect(f"{opportunity.get_absolute_url()}#discussion")


@login_required
def log_hours(request, pk):
    participation = access.get_participation_for_member(request.user, pk)
    form = HoursForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.log_hours(
                participation,
                minutes=form.minutes,
                note=form.cleaned_data["note"],
                occurred_on=form.cleaned_data["occurred_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your hours are logged. The team will confirm them."))
            return redirect(participation.opportunity)
    return render(
        request,
        "volunteering/hours.html",
        {"form": form, "participation": participation, "opportunity": participation.opportunity},
    )


@login_required
@require_POST
def decide_hours(request, pk):
    entry, _role = access.get_time_entry_for_team(request.user, pk)
    try:
        if request.POST.get("decision") == "confirm":
            actions.confirm_hours(entry, request.user, request=request)
            messages.success(request, _("Hours confirmed."))
        else:
            actions.reject_hours(entry, request.user)
            messages.success(request, _("Hours not confirmed."))
    except ValidationError as error:
        return _refused(request, error, entry.participation.opportunity)
    return redirect(entry.participation.opportunity)


@login_required
def my_one_percent(request):
    pledge = Pledge.objects.filter(member=request.user).first()
    form = PledgeForm(request.POST or None, instance=pledge or Pledge(member=request.user))
    if request.method == "POST" and form.is_valid():
        actions.set_pledge(request.user, **form.values())
        messages.success(request, _("Your pledge is saved."))
        return redirect("volunteering:my_one_percent")
    context = {
        "form": form,
        "pledge": pledge,
        "progress": progress.progress_for(request.user, pledge),
        "totals": ledger.totals_for_member(request.user),
        "chart": monthly_chart(ledger.monthly_for_member(request.user)),
        "participations": Participation.objects.filter(member=request.user)
        .exclude(state=Participation.State.DECLINED)
        .select_related("opportunity__initiative"),
    }
    return render(request, "volunteering/my_one_percent.html", context)


def initiative(request, slug):
    """An initiative's tasks and its public impact: hours, volunteers, money, knowledge."""
    item, role = get_initiative_for_viewer(request.user, slug)
    tasks = actions.open_opportunities().filter(initiative=item).order_by("-created_at")
    return render(
        request,
        "volunteering/initiative.html",
        {
            "initiative": item,
            "tasks": tasks,
            "totals": ledger.totals_for_initiative(item),
            "is_team": access.is_team(role),
        },
    )
