"""Access helpers for plans: the only way views and the API fetch a plan, section, reaction or question.

A plan is as public as its initiative (`initiatives.access.can_view`): drafts are for the team.
Private answers to a question are for the team; a member sees their own answer, nobody else's.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connections, router

from samen.core.access import Role, deny, is_key, is_signed_in
from samen.initiatives.access import can_view, role_for
from samen.initiatives.models import Initiative

from .models import Answer, Plan, Question, Reaction, Section, Suggestion


def _check(user, initiative, *, team: bool = False) -> Role:
    role = role_for(user, initiative)
    if not can_view(role, initiative):
        raise deny()
    if team and role < Role.TEAM:
        raise PermissionDenied
    return role


# Only what the access check and the page need from the initiative: its story and the story's HTML
# can be 40 KB.
# In the model's field order, which Model.from_db() expects the values in.
INITIATIVE_COLUMNS = tuple(
    field.attname
    for field in Initiative._meta.concrete_fields
    if field.attname in {"id", "slug", "title", "status"}
)


def _column(model, name: str) -> str:
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    assert isinstance(column, str)  # a concrete field always has one
    return column


def _plan_with_initiative(pk: int) -> Plan | None:
    """The plan and the few initiative columns it needs, in one hand-written SELECT.

    The plan page is hot. Compiling the ORM query (select_related, default ordering, LIMIT) cost more
    CPU than running it, and on PostgreSQL every round trip counts, so this is one JOIN by primary
    key. `p.*` maps the plan's columns to fields by name, so it stays right as fields are added; only
    quoted names from the models' metadata are formatted in, and the key is a parameter.
    """
    if not is_key(pk):
        return None
    db = router.db_for_read(Plan)
    quote = connections[db].ops.quote_name
    plans, initiatives = Plan._meta, Initiative._meta
    extra = ", ".join(
        f"i.{quote(_column(Initiative, name))} AS {quote('initiative__' + name)}"
        for name in INITIATIVE_COLUMNS
    )
    sql = (
        f"SELECT p.*, {extra} FROM {quote(plans.db_table)} p "  # noqa: S608
        f"JOIN {quote(initiatives.db_table)} i "
        f"ON i.{quote(_column(Initiative, 'id'))} = p.{quote(_column(Plan, 'initiative'))} "
        f"WHERE p.{quote(_column(Plan, 'id'))} = %s"
    )
    found = list(Plan.objects.db_manager(db).raw(sql, [pk]))
    if not found:
        return None
    plan = found[0]
    values = [getattr(plan, f"initiative__{name}") for name in INITIATIVE_COLUMNS]
    plan.initiative = Initiative.from_db(db, list(INITIATIVE_COLUMNS), values)
    return plan


def get_plan_for_viewer(user, pk: int, *, team: bool = False) -> tuple[Plan, Role]:
    plan = _plan_with_initiative(pk)
    if plan is None:
        raise deny()
    return plan, _check(user, plan.initiative, team=team)


def get_section_for_viewer(user, pk: int, *, team: bool = False) -> tuple[Section, Role]:
    section = Section.objects.select_related("plan__initiative", "owner").filter(pk=pk).first()
    if section is None:
        raise deny()
    return section, _check(user, section.plan.initiative, team=team)


def get_reaction_for_viewer(user, pk: int, *, team: bool = False) -> tuple[Reaction, Role]:
    reaction = (
        Reaction.objects.select_related("section__plan__initiative", "author", "owner", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if reaction is None:
        raise deny()
    return reaction, _check(user, reaction.section.plan.initiative, team=team)


def get_suggestion_for_team(user, pk: int) -> tuple[Suggestion, Role]:
    suggestion = (
        Suggestion.objects.select_related("section__plan__initiative", "author").filter(pk=pk).first()
    )
    if suggestion is None:
        raise deny()
    return suggestion, _check(user, suggestion.section.plan.initiative, team=True)


def get_question_for_viewer(user, pk: int, *, team: bool = False) -> tuple[Question, Role]:
    question = Question.objects.select_related("initiative").filter(pk=pk).first()
    if question is None:
        raise deny()
    return question, _check(user, question.initiative, team=team)


def can_see_all_answers(role: Role, question: Question) -> bool:
    return question.answers_public or role >= Role.TEAM


def answers_for_viewer(user, role: Role, question: Question):
    """The answers this viewer may read: all (public, or the team), else only their own."""
    answers = Answer.objects.filter(question=question).select_related("member").order_by("created_at", "id")
    if can_see_all_answers(role, question):
        return answers
    if not is_signed_in(user):
        return answers.none()
    return answers.filter(member=user)
