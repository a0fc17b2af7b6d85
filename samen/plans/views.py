"""Plan pages. Views parse the request, call one action, and render; fetching goes through access.py."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core.access import Role, is_key
from samen.core.cache import fragments
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer

from . import actions
from .access import (
    answers_for_viewer,
    can_see_all_answers,
    get_plan_for_viewer,
    get_question_for_viewer,
    get_reaction_for_viewer,
    get_section_for_viewer,
    get_suggestion_for_team,
)
from .charts import results_chart
from .forms import (
    AnswerForm,
    AnswerQuestionForm,
    DueForm,
    PlanForm,
    QuestionForm,
    ReactionForm,
    SectionForm,
    SuggestionForm,
    apply_errors,
)
from .models import Plan, Question, Reaction, Suggestion, Version
from .queries import section_rows

PAGE_SECONDS = 60 * 60


# --- Plans ---------------------------------------------------------------------------------------


@require_safe
def initiative_plans(request, slug):
    initiative, role = get_initiative_for_viewer(request.user, slug)
    return render(
        request,
        "plans/initiative_plans.html",
        {
            "initiative": initiative,
            "is_team": role >= Role.TEAM,
            "plans": Plan.objects.filter(initiative=initiative).order_by("-created_at", "-id"),
            "questions": Question.objects.filter(initiative=initiative).order_by("-created_at", "-id"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    form = PlanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = actions.create_plan(
                initiative,
                request.user,
                title=form.cleaned_data["title"],
                intro=form.cleaned_data["intro"],
                markdown=form.cleaned_data["markdown"],
                answer_days=form.cleaned_data["answer_days"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                exc = ValidationError({"markdown": exc.messages})
            apply_errors(form, exc)
        else:
            count = plan.sections.count()
            messages.success(request, _("The plan is ready, with %(count)s sections.") % {"count": count})
            return redirect(plan)
    return render(request, "plans/plan_form.html", {"form": form, "initiative": initiative})


def _shared(plan) -> dict[str, str]:
    """The parts of the plan page every viewer sees alike, as HTML, in one cache entry.

    Keyed on Plan.cache_version (its version and revision, which go up with every change the page
    shows: text, reactions, answers), the language and the time zone. Rendered without the request,
    so no CSRF token or user can end up in them. The heading and intro are here too: with them, the
    page left to render per request is little more than base.html.
    """
    key = ":".join(["plans:page", plan.cache_version, get_language(), timezone.get_current_timezone_name()])
    shared = fragments.get(key)
    if shared is None:
        context = {"plan": plan, "sections": section_rows(plan)}
        shared = {
            name: render_to_string(f"plans/plan.html#{name}", context) for name in ("header", "sections")
        }
        fragments.set(key, shared, PAGE_SECONDS)
    return shared


@require_safe
def plan_page(request, pk):
    plan, role = get_plan_for_viewer(request.user, pk)
    return render(
        request,
        "plans/plan.html",
        {"plan": plan, "initiative": plan.initiative, "is_team": role >= Role.TEAM, "shared": _shared(plan)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def section_add(request, pk):
    plan, _role = get_plan_for_viewer(request.user, pk, team=True)
    form = SectionForm(request.POST or None, initiative=plan.initiative)
    parents = plan.sections.order_by("position", "id")
    if request.method == "POST" and form.is_valid():
        parent = parents.filter(pk=request.POST.get("parent") or 0).first()
        try:
            section = actions.add_section(
                plan,
                request.user,
                heading=form.cleaned_data["heading"],
                body=form.cleaned_data["body"],
                expertise=form.cleaned_data["expertise"],
                owner=form.cleaned_data["owner"],
                parent=parent,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The section is added."))
            return redirect(section)
    return render(
        request, "plans/section_form.html", {"form": form, "plan": plan, "section": None, "parents": parents}
    )


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request, pk):
    section, _role = get_section_for_viewer(request.user, pk, team=True)
    plan = section.plan
    initial = {
        "heading": section.heading,
        "body": section.body,
        "expertise": section.expertise,
        "owner": section.owner_id,
        "version": section.version,
    }
    form = SectionForm(request.POST or None, initial=initial, initiative=plan.initiative)
    if request.method == "POST" and form.is_valid():
        try:
            actions.edit_section(
                section,
                request.user,
                heading=form.cleaned_data["heading"],
                body=form.cleaned_data["body"],
                expertise=form.cleaned_data["expertise"],
                owner=form.cleaned_data["owner"],
                expected_version=form.cleaned_data["version"] or section.version,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(section)
    return render(request, "plans/section_form.html", {"form": form, "plan": plan, "section": section})


# --- A section: its text, its reactions, its suggestions -------------------------------------------


def _threads(section) -> list[Reaction]:
    reactions = list(
        section.reactions.select_related("author", "owner", "answered_by").order_by("created_at", "id")
    )
    by_id = {r.pk: r for r in reactions}
    top: list[Reaction] = []
    for reaction in reactions:
        reaction.children = []
    for reaction in reactions:
        parent = by_id.get(reaction.parent_id) if reaction.parent_id else None
        (parent.children if parent else top).append(reaction)
    return top


def _section_context(request, section, role, *, form=None):
    plan = section.plan
    is_team = role >= Role.TEAM
    threads = _threads(section)
    now = timezone.now()
    context = {
        "section": section,
        "plan": plan,
        "initiative": plan.initiative,
        "is_team": is_team,
        "threads": threads,
        "answered": sum(1 for r in threads if r.is_answered),
        "to_answer": len(threads),
        "form": form or ReactionForm(),
        "now": now,
        "max_depth": 3,
    }
    suggestions = section.suggestions.select_related("author").order_by("-created_at", "-id")
    if not is_team and request.user.is_authenticated:
        suggestions = suggestions.filter(Q(author=request.user) | ~Q(state=Suggestion.State.PENDING))
    elif not is_team:
        suggestions = suggestions.exclude(state=Suggestion.State.PENDING)
    context["suggestions"] = suggestions
    if is_team:
        context["routing"] = actions.routing_counts(section)
    return context


@require_safe
def section_page(request, pk):
    section, role = get_section_for_viewer(request.user, pk)
    return render(request, "plans/section.html", _section_context(request, section, role))


@login_required
@require_POST
def react(request, pk):
    section, role = get_section_for_viewer(request.user, pk)
    form = ReactionForm(request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = section.reactions.filter(pk=form.cleaned_data["parent"]).first()
            if parent is None:
                raise Http404
        try:
            reaction = actions.add_reaction(
                section, request.user, form.cleaned_data["body"], parent=parent, request=request
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your reaction is posted; the team will answer it."))
            return redirect(reaction.get_absolute_url())
    return render(request, "plans/section.html", _section_context(request, section, role, form=form))


@login_required
@require_http_methods(["GET", "POST"])
def suggest(request, pk):
    section, _role = get_section_for_viewer(request.user, pk)
    form = SuggestionForm(request.POST or None, initial={"body": section.body})
    if request.method == "POST" and form.is_valid():
        try:
            actions.propose(
                section, request.user, body=form.cleaned_data["body"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you. The team will look at your suggestion."))
            return redirect(section)
    return render(request, "plans/suggest.html", {"form": form, "section": section, "plan": section.plan})


@login_required
@require_POST
def suggestion_decide(request, pk, decision):
    if decision not in ("accept", "reject"):
        raise Http404
    suggestion, _role = get_suggestion_for_team(request.user, pk)
    try:
        if decision == "accept":
            version = actions.accept(suggestion, request.user)
            messages.success(
                request, _("Accepted. The plan is now at version %(number)s.") % {"number": version.number}
            )
        else:
            actions.reject(suggestion, request.user)
            messages.success(request, _("The suggestion is rejected."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(suggestion.section)


@login_required
@require_POST
def invite(request, pk):
    section, _role = get_section_for_viewer(request.user, pk, team=True)
    count = actions.invite_experts(section)
    messages.success(
        request, _("%(count)s new people with the expertise you want were invited.") % {"count": count}
    )
    return redirect(section)


# --- The obligation to answer ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, pk):
    reaction, _role = get_reaction_for_viewer(request.user, pk, team=True)
    if not reaction.is_top_level:
        raise Http404
    initiative = reaction.section.plan.initiative
    form = AnswerForm(
        request.POST or None,
        initial={"state": reaction.state if reaction.is_answered else "answered", "answer": reaction.answer},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.answer_reaction(
                reaction, request.user, state=form.cleaned_data["state"], answer=form.cleaned_data["answer"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Answered. %(name)s gets your answer by e-mail.") % {"name": reaction.author.display_name},
            )
            return redirect("plans:queue", initiative.slug)
    due_form = DueForm(
        initial={
            "due": timezone.localtime(reaction.due_at) if reaction.due_at else None,
            "owner": reaction.owner_id,
        },
        initiative=initiative,
    )
    return render(
        request,
        "plans/answer.html",
        {
            "form": form,
            "due_form": due_form,
            "reaction": reaction,
            "section": reaction.section,
            "initiative": initiative,
        },
    )


@login_required
@require_POST
def due(request, pk):
    reaction, _role = get_reaction_for_viewer(request.user, pk, team=True)
    initiative = reaction.section.plan.initiative
    form = DueForm(request.POST, initiative=initiative)
    if form.is_valid():
        actions.set_due(reaction, form.cleaned_data["due"])
        if form.cleaned_data["owner"].pk != reaction.owner_id:
            actions.reassign(reaction, form.cleaned_data["owner"])
        messages.success(request, _("The due date and owner are saved."))
    else:
        messages.error(request, _("Give a valid date and time, and an owner on the team."))
    return redirect("plans:answer", reaction.pk)


@login_required
@require_safe
def queue(request, slug):
    initiative, role = get_initiative_for_team(request.user, slug)
    mine = request.GET.get("who") == "me"
    reactions = (
        Reaction.objects.filter(
            section__plan__initiative=initiative, parent__isnull=True, state=Reaction.State.OPEN
        )
        .select_related("section__plan", "author", "owner")
        .order_by("due_at", "id")
    )
    if mine:
        reactions = reactions.filter(owner=request.user)
    now = timezone.now()
    rows = list(reactions[:500])
    for reaction in rows:
        reaction.overdue = reaction.is_overdue(now)
    return render(
        request,
        "plans/queue.html",
        {
            "initiative": initiative,
            "reactions": rows,
            "mine": mine,
            "overdue_count": sum(1 for r in rows if r.overdue),
            "soon": now + timedelta(days=1),
        },
    )


# --- Versions --------------------------------------------------------------------------------------


@require_safe
def history(request, pk):
    plan, _role = get_plan_for_viewer(request.user, pk)
    versions = plan.versions.select_related("created_by").order_by("-number")
    return render(
        request, "plans/history.html", {"plan": plan, "initiative": plan.initiative, "versions": versions}
    )


@require_safe
def diff(request, pk):
    plan, _role = get_plan_for_viewer(request.user, pk)
    numbers = list(plan.versions.order_by("number").values_list("number", flat=True))
    try:
        new_number = int(request.GET.get("to") or numbers[-1])
        old_number = int(request.GET.get("from") or max(new_number - 1, numbers[0]))
    except (ValueError, IndexError) as exc:
        raise Http404 from exc
    if not (is_key(new_number) and is_key(old_number)):
        raise Http404
    versions = {v.number: v for v in plan.versions.filter(number__in=[old_number, new_number])}
    if old_number not in versions or new_number not in versions:
        raise Http404
    lines = actions.diff(versions[old_number], versions[new_number])
    return render(
        request,
        "plans/diff.html",
        {
            "plan": plan,
            "initiative": plan.initiative,
            "old": versions[old_number],
            "new": versions[new_number],
            "numbers": numbers,
            "lines": lines,
            "added": sum(1 for line in lines if line.kind == "added"),
            "removed": sum(1 for line in lines if line.kind == "removed"),
        },
    )


# --- Ask the crowd ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request, slug):
    initiative, _role = get_initiative_for_team(request.user, slug)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = actions.ask(
                initiative,
                request.user,
                text=form.cleaned_data["text"],
                choices=form.cleaned_data["choices"],
                answers_public=form.cleaned_data["answers_public"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your question is asked. Followers get it by e-mail."))
            return redirect(question)
    return render(request, "plans/question_form.html", {"form": form, "initiative": initiative})


@require_http_methods(["GET", "POST"])
def question_page(request, pk):
    question, role = get_question_for_viewer(request.user, pk)
    form = AnswerQuestionForm(request.POST or None, question=question)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{settings_login_url()}?next={request.path}")
        if form.is_valid():
            try:
                actions.answer_question(
                    question,
                    request.user,
                    choice=form.cleaned_data.get("choice"),
                    text=form.cleaned_data["text"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Thank you for your answer."))
                return redirect(question)
    all_visible = can_see_all_answers(role, question)
    answers = list(answers_for_viewer(request.user, role, question))
    chart = results_chart(question) if all_visible and question.choices else None
    return render(
        request,
        "plans/question.html",
        {
            "question": question,
            "initiative": question.initiative,
            "form": form,
            "answers": answers,
            "all_visible": all_visible,
            "is_team": role >= Role.TEAM,
            "chart": chart,
        },
    )


@login_required
@require_POST
def question_toggle(request, pk):
    question, _role = get_question_for_viewer(request.user, pk, team=True)
    actions.set_question_open(question, not question.is_open)
    messages.success(
        request,
        _("The question is open for answers again.") if question.is_open else _("The question is closed."),
    )
    return redirect(question)


def settings_login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)


@require_safe
def version_page(request, pk, number):
    plan, _role = get_plan_for_viewer(request.user, pk)
    version = Version.objects.filter(plan=plan, number=number).first()
    if version is None:
        raise Http404
    return render(
        request, "plans/version.html", {"plan": plan, "initiative": plan.initiative, "version": version}
    )
