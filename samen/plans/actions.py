"""Everything that changes a plan. Shared by the web views, the API and the e-mail route.

Validate, then act: each function checks its input (raising ValidationError with a sentence a
person can read) before it writes, and writes everything it does in one transaction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from samen.core.text import render_markdown
from samen.impact import ledger
from samen.initiatives.models import Follow, Initiative, TeamMember
from samen.outreach import attribution
from samen.people.models import Member

from . import mail
from .importing import parse_markdown, parse_tags
from .models import (
    MAX_DEPTH,
    MAX_SECTION_DEPTH,
    REACTION_MAX_CHARS,
    SECTION_MAX_CHARS,
    Answer,
    Invitation,
    Plan,
    Question,
    Reaction,
    Section,
    Suggestion,
    Version,
)

MAX_CHOICES = 10


# --- Plans, sections and versions ------------------------------------------------------------------


def bump(plan_id: int) -> None:
    """Tell the plan page's cache that what it shows has changed."""
    Plan.objects.filter(pk=plan_id).update(revision=F("revision") + 1)


def snapshot(plan: Plan) -> list[dict]:
    return [
        {"id": s.pk, "heading": s.heading, "depth": s.depth, "body": s.body, "expertise": s.expertise}
        for s in plan.sections.order_by("position", "id")
    ]


def _new_version(plan: Plan, by, note: str, *, number: int | None = None) -> Version:
    """Write the plan's current text as its next version (inside the caller's transaction)."""
    if number is None:
        Plan.objects.filter(pk=plan.pk).update(version=F("version") + 1, revision=F("revision") + 1)
        number = Plan.objects.values_list("version", flat=True).get(pk=plan.pk)
    plan.version = number
    return Version.objects.create(
        plan=plan, number=number, sections=snapshot(plan), note=Truncator(note).chars(300), created_by=by
    )


@transaction.atomic
def create_plan(
    initiative: Initiative, by, *, title: str, intro: str = "", markdown: str = "", answer_days: int = 3
) -> Plan:
    """A new plan; `markdown` (headings become nested sections) is parsed before anything is written."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the plan a title.")})
    parsed = parse_markdown(markdown) if markdown.strip() else None
    if parsed is not None and parsed.intro and not intro.strip():
        intro = parsed.intro
    plan = Plan.objects.create(
        initiative=initiative, title=title[:200], intro=intro.strip(), created_by=by, answer_days=answer_days
    )
    if parsed is not None:
        made: list[Section] = []
        for position, item in enumerate(parsed.sections, 1):
            section = Section(
                plan=plan,
                parent=made[item.parent] if item.parent is not None else None,
                position=position * 10,
                depth=item.depth,
                heading=item.heading,
                body=item.body,
                expertise=item.expertise,
            )
            section.save()
            made.append(section)
    _new_version(plan, by, _("First version"), number=1)
    return plan


def _clean_section(heading: str, body: str) -> tuple[str, str]:
    heading = " ".join((heading or "").split())
    body = (body or "").strip()
    errors = {}
    if not heading:
        errors["heading"] = _("Give the section a heading.")
    elif len(heading) > 200:
        errors["heading"] = _("A heading has at most 200 characters.")
    if len(body) > SECTION_MAX_CHARS:
        errors["body"] = _("The text has at most %(max)s characters.") % {"max": f"{SECTION_MAX_CHARS:,}"}
    if errors:
        raise ValidationError(errors)
    return heading, body


def _check_owner(plan: Plan, owner) -> None:
    if (
        owner is not None
        and not TeamMember.objects.filter(initiative_id=plan.initiative_id, member=owner).exists()
    ):
        raise ValidationError({"owner": _("The owner of a section must be on the team.")})


@transaction.atomic
def add_section(
    plan: Plan, by, *, heading: str, body: str = "", expertise=(), parent: Section | None = None, owner=None
) -> Section:
    heading, body = _clean_section(heading, body)
    _check_owner(plan, owner)
    if parent is not None and parent.plan_id != plan.pk:
        raise ValidationError({"parent": _("Choose a section of this plan.")})
    depth = min(parent.depth + 1, MAX_SECTION_DEPTH) if parent else 1
    if parent is not None:
        # After the parent and everything under it.
        following = plan.sections.filter(position__gt=parent.position, depth__lte=parent.depth).order_by(
            "position"
        )
        nxt = following.values_list("position", flat=True).first()
        if nxt is None:
            position = (
                plan.sections.order_by("-position").values_list("position", flat=True).first() or 0
            ) + 10
        else:
            plan.sections.filter(position__gte=nxt).update(position=F("position") + 10)
            position = nxt
    else:
        position = (plan.sections.order_by("-position").values_list("position", flat=True).first() or 0) + 10
    section = Section(
        plan=plan,
        parent=parent,
        depth=depth,
        position=position,
        heading=heading,
        body=body,
        expertise=parse_tags(",".join(expertise))
        if not isinstance(expertise, str)
        else parse_tags(expertise),
        owner=owner,
    )
    section.save()
    _new_version(plan, by, _("Added “%(heading)s”") % {"heading": heading})
    return section


class StaleSection(ValidationError):
    """The section's text changed since the change was prepared: refuse rather than overwrite."""


STALE_MESSAGE = gettext_noop(
    "Someone changed this section after this text was written (another suggestion may have been "
    "accepted). Nothing was changed and nothing is lost: compare it with the current text first."
)


def _write_section_text(section: Section, expected_version: int, **fields) -> None:
    """The optimistic lock: the UPDATE only matches while the section still has `expected_version`."""
    if "body" in fields:
        fields["body_rendered"] = str(render_markdown(fields["body"]))
    changed = Section.objects.filter(pk=section.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if changed != 1:
        raise StaleSection(_(STALE_MESSAGE), code="stale")
    for name, value in fields.items():
        setattr(section, name, value)
    section.version = expected_version + 1


@transaction.atomic
def edit_section(
    section: Section, by, *, heading: str, body: str, expertise, owner=None, expected_version: int
) -> Version | None:
    """The team edits a section directly. A changed text makes a new version; tags and owner do not."""
    heading, body = _clean_section(heading, body)
    plan = section.plan
    _check_owner(plan, owner)
    tags = parse_tags(expertise if isinstance(expertise, str) else ",".join(expertise))
    text_changed = heading != section.heading or body != section.body
    _write_section_text(
        section,
        expected_version,
        heading=heading,
        body=body,
        expertise=tags,
        owner_id=owner.pk if owner else None,
    )
    if text_changed:
        return _new_version(plan, by, _("Edited “%(heading)s”") % {"heading": heading})
    bump(plan.pk)
    return None


# --- Reactions and the obligation to answer --------------------------------------------------------


def _clean_reaction_text(body: str, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(
            {field: _("Write something first: an empty text cannot be posted.")}, code="empty"
        )
    if len(body) > REACTION_MAX_CHARS:
        raise ValidationError(
            {
                field: _(
                    "That is %(length)s characters; at most %(max)s fit. Shorten it, or split it in two."
                )
                % {"length": f"{len(body):,}", "max": f"{REACTION_MAX_CHARS:,}"}
            },
            code="too_long",
        )
    return body


def _next_owner(plan: Plan, section: Section):
    """The section's own owner while they are on the team; otherwise the team, in turn."""
    team = list(
        TeamMember.objects.filter(initiative_id=plan.initiative_id, member__is_active=True)
        .order_by("pk")
        .values_list("member_id", flat=True)
    )
    if not team:
        return None
    if section.owner_id and section.owner_id in team:
        return section.owner_id
    Plan.objects.filter(pk=plan.pk).update(assign_counter=F("assign_counter") + 1)
    turn = Plan.objects.values_list("assign_counter", flat=True).get(pk=plan.pk)
    return team[(turn - 1) % len(team)]


def add_reaction(
    section: Section,
    author,
    body: str,
    *,
    parent: Reaction | None = None,
    via: str = Reaction.Via.WEB,
    inbound=None,
    request=None,
    now: datetime | None = None,
) -> Reaction:
    """Post a reaction (a reply when `parent` is given). A top-level one gets an owner and a due date."""
    body = _clean_reaction_text(body)
    if parent is not None:
        if parent.section_id != section.pk:
            raise ValidationError({"parent": _("You can only reply to a reaction on this section.")})
        if parent.depth >= MAX_DEPTH:
            raise ValidationError(
                {
                    "parent": _("Replies go at most %(max)s levels deep. Reply to an earlier reaction.")
                    % {"max": MAX_DEPTH}
                }
            )
    now = now or timezone.now()
    plan = section.plan
    with transaction.atomic():
        reaction = Reaction(
            section=section,
            parent=parent,
            depth=(parent.depth + 1) if parent else 1,
            author=author,
            body=body,
            via=via,
            inbound=inbound,
            created_at=now,
        )
        if parent is None:
            reaction.owner_id = _next_owner(plan, section)
            reaction.due_at = now + timedelta(days=plan.answer_days)
        reaction.save()
        bump(plan.pk)
        if parent is None and reaction.owner_id and reaction.owner_id != author.pk:
            owner = Member.objects.get(pk=reaction.owner_id)
            mail.send_new_reaction(reaction, section, plan, owner)
    attribution.record_conversion(
        kind=attribution.REACTION,
        source="plans.reaction",
        source_ref=str(reaction.pk),
        request=request,
        member=author,
        initiative=plan.initiative,
        occurred_at=now,
    )
    return reaction


@transaction.atomic
def answer_reaction(reaction: Reaction, by, *, state: str, answer: str) -> Reaction:
    """Answer a top-level reaction: answered, adopted or declined, with a text that reaches the reactor."""
    if not reaction.is_top_level:
        raise ValidationError(
            _("Only reactions on a section are answered; replies are part of their thread.")
        )
    if state not in (Reaction.State.ANSWERED, Reaction.State.ADOPTED, Reaction.State.DECLINED):
        raise ValidationError({"state": _("Choose answered, adopted or declined.")})
    answer = _clean_reaction_text(answer, "answer")
    now = timezone.now()
    Reaction.objects.filter(pk=reaction.pk).update(
        state=state, answer=answer, answered_by=by, answered_at=now, answer_count=F("answer_count") + 1
    )
    reaction.refresh_from_db()
    section = reaction.section
    plan = section.plan
    bump(plan.pk)
    mail.send_answer(reaction, section, plan)
    if state == Reaction.State.ADOPTED:
        ledger.record(
            kind=ledger.Kind.KNOWLEDGE,
            initiative=plan.initiative,
            member=reaction.author,
            source="plans.reaction",
            source_ref=str(reaction.pk),
            description=Truncator(
                _("Reaction adopted in “%(plan)s”, section “%(section)s”")
                % {"plan": plan.title, "section": section.heading}
            ).chars(300),
            occurred_at=now,
        )
    return reaction


@transaction.atomic
def set_due(reaction: Reaction, due_at: datetime) -> None:
    """Move the due date; an overdue reaction that moves gets a new reminder when it is late again."""
    if not reaction.is_top_level:
        raise ValidationError(_("Only reactions on a section have a due date."))
    Reaction.objects.filter(pk=reaction.pk).update(due_at=due_at, reminded_at=None)
    reaction.due_at, reaction.reminded_at = due_at, None


@transaction.atomic
def reassign(reaction: Reaction, owner) -> None:
    _check_owner(reaction.section.plan, owner)
    Reaction.objects.filter(pk=reaction.pk).update(owner=owner)
    reaction.owner = owner


def remind_overdue(now: datetime | None = None) -> int:
    """E-mail the owner of every overdue open reaction, once per due date. Returns how many were sent.

    Each row is claimed with a conditional UPDATE (reminded_at NULL → now) before its mail is queued,
    and the mail's key includes the due date, so two runs at once, or one after the other, remind once.
    """
    now = now or timezone.now()
    due = Reaction.objects.filter(
        parent__isnull=True,
        state=Reaction.State.OPEN,
        due_at__lt=now,
        reminded_at__isnull=True,
        owner__isnull=False,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            if (
                Reaction.objects.filter(pk=pk, reminded_at__isnull=True, state=Reaction.State.OPEN).update(
                    reminded_at=now
                )
                != 1
            ):
                continue
            reaction = Reaction.objects.select_related("section__plan", "owner").get(pk=pk)
            mail.send_reminder(reaction, reaction.section, reaction.section.plan)
            sent += 1
    return sent


# --- Suggested edits -------------------------------------------------------------------------------


def propose(section: Section, author, *, body: str, note: str = "") -> Suggestion:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the text you propose for this section.")})
    if len(body) > SECTION_MAX_CHARS:
        raise ValidationError(
            {"body": _("The text has at most %(max)s characters.") % {"max": f"{SECTION_MAX_CHARS:,}"}}
        )
    if body == section.body.strip():
        raise ValidationError({"body": _("This is the same as the current text. Change something first.")})
    suggestion = Suggestion.objects.create(
        section=section,
        author=author,
        body=body,
        note=(note or "").strip()[:500],
        base_version=section.version,
    )
    bump(section.plan_id)
    return suggestion


def accept(suggestion: Suggestion, by) -> Version:
    """Accept a suggested edit: the section gets its text and the plan a new version.

    Two suggestions written against the same text cannot both be accepted: the second one's
    conditional UPDATE finds the section at a newer version and is refused (StaleSection); it stays
    pending, so nothing anyone wrote is lost.
    """
    with transaction.atomic():
        claimed = Suggestion.objects.filter(pk=suggestion.pk, state=Suggestion.State.PENDING)
        if not claimed.exists():
            raise ValidationError(_("This suggestion was already decided."), code="decided")
        section = Section.objects.select_related("plan__initiative").get(pk=suggestion.section_id)
        _write_section_text(section, suggestion.base_version, body=suggestion.body)
        plan = section.plan
        version = _new_version(
            plan,
            by,
            _("Accepted a suggestion by %(name)s for “%(heading)s”")
            % {"name": suggestion.author.display_name, "heading": section.heading},
        )
        now = timezone.now()
        claimed.update(state=Suggestion.State.ACCEPTED, decided_by=by, decided_at=now, version=version)
        ledger.record(
            kind=ledger.Kind.KNOWLEDGE,
            initiative=plan.initiative,
            member=suggestion.author,
            source="plans.suggestion",
            source_ref=str(suggestion.pk),
            description=Truncator(
                _("Suggested edit accepted in “%(plan)s”, section “%(section)s”")
                % {"plan": plan.title, "section": section.heading}
            ).chars(300),
            occurred_at=now,
        )
    suggestion.refresh_from_db()
    return version


@transaction.atomic
def reject(suggestion: Suggestion, by) -> None:
    if (
        Suggestion.objects.filter(pk=suggestion.pk, state=Suggestion.State.PENDING).update(
            state=Suggestion.State.REJECTED, decided_by=by, decided_at=timezone.now()
        )
        != 1
    ):
        raise ValidationError(_("This suggestion was already decided."), code="decided")
    bump(suggestion.section.plan_id)
    suggestion.refresh_from_db()


# --- Diffs -----------------------------------------------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    old: int | None
    new: int | None
    text: str


def version_lines(version: Version) -> list[str]:
    lines: list[str] = []
    for section in version.sections:
        lines.append("#" * min(int(section.get("depth", 1)), 6) + " " + section.get("heading", ""))
        if section.get("expertise"):
            lines.append(_("Expertise wanted: %(tags)s") % {"tags": ", ".join(section["expertise"])})
        body = (section.get("body") or "").strip()
        if body:
            lines.append("")
            lines.extend(body.split("\n"))
        lines.append("")
    return lines


def diff(old: Version, new: Version, context: int = 3) -> list[DiffLine]:
    a, b = version_lines(old), version_lines(new)
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for n, group in enumerate(matcher.get_grouped_opcodes(context)):
        if n:
            result.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result += [DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                result += [DiffLine("removed", i1 + k + 1, None, a[i1 + k]) for k in range(i2 - i1)]
            if tag in ("replace", "insert"):
                result += [DiffLine("added", None, j1 + k + 1, b[j1 + k]) for k in range(j2 - j1)]
    return result


# --- Expertise routing -----------------------------------------------------------------------------


def matching_members(section: Section):
    """Active members who opted in to invitations and list a skill the section wants; not the team."""
    wanted = {tag.casefold() for tag in section.expertise}
    if not wanted:
        return []
    team = TeamMember.objects.filter(initiative_id=section.plan.initiative_id).values_list(
        "member_id", flat=True
    )
    candidates = (
        Member.objects.filter(open_to_invitations=True, is_active=True, contact_by_email=True)
        .exclude(skills=[])
        .exclude(pk__in=team)
        .only("pk", "email", "name", "skills")
        .order_by("pk")
    )
    found = []
    for member in candidates.iterator():
        skills = [s for s in member.skills if isinstance(s, str) and s.casefold() in wanted]
        if skills:
            found.append((member, skills))
    return found


def invite_experts(section: Section) -> int:
    """Invite every matching member once per section; returns how many new invitations went out."""
    plan = section.plan
    created = 0
    for member, skills in matching_members(section):
        with transaction.atomic():
            invitation, new = Invitation.objects.get_or_create(
                section=section, member=member, defaults={"skills": skills}
            )
            if new:
                invitation.member = member
                mail.send_invitation(invitation, section, plan)
                created += 1
    return created


def routing_counts(section: Section) -> dict[str, int]:
    invited = section.invitations.count()
    reacted = (
        section.invitations.filter(member__plan_reactions__section=section)
        .values("member")
        .distinct()
        .count()
    )
    return {"invited": invited, "reacted": reacted}


# --- Ask the crowd ---------------------------------------------------------------------------------


def clean_choices(lines) -> list[str]:
    if isinstance(lines, str):
        lines = lines.splitlines()
    seen: dict[str, str] = {}
    for line in lines:
        text = " ".join(str(line).split())[:100]
        if text:
            seen.setdefault(text.casefold(), text)
    choices = list(seen.values())
    if len(choices) == 1:
        raise ValidationError({"choices": _("Give at least two choices, or none for a free answer.")})
    if len(choices) > MAX_CHOICES:
        raise ValidationError({"choices": _("At most %(max)s choices.") % {"max": MAX_CHOICES}})
    return choices


@transaction.atomic
def ask(initiative: Initiative, by, *, text: str, choices=(), answers_public: bool = True) -> Question:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": _("Write the question.")})
    if len(text) > 300:
        raise ValidationError({"text": _("A question has at most 300 characters.")})
    question = Question.objects.create(
        initiative=initiative,
        text=text,
        choices=clean_choices(choices),
        answers_public=answers_public,
        created_by=by,
    )
    from .tasks import mail_question

    pk = question.pk
    transaction.on_commit(lambda: mail_question.enqueue(pk))
    return question


def question_recipients(question: Question):
    """The initiative's followers and its team (its network on Samen) who take e-mail; not the asker."""
    followers = Follow.objects.filter(initiative_id=question.initiative_id).values_list(
        "member_id", flat=True
    )
    team = TeamMember.objects.filter(initiative_id=question.initiative_id).values_list("member_id", flat=True)
    people = Member.objects.filter(is_active=True, contact_by_email=True).filter(pk__in=followers.union(team))
    if question.created_by_id:
        people = people.exclude(pk=question.created_by_id)
    return people.only("pk", "email", "name").order_by("pk")


def set_question_open(question: Question, is_open: bool) -> None:
    Question.objects.filter(pk=question.pk).update(is_open=is_open)
    question.is_open = is_open


@transaction.atomic
def answer_question(question: Question, member, *, choice: int | None = None, text: str = "") -> Answer:
    """One answer per member; answering again replaces the earlier answer."""
    if not question.is_open:
        raise ValidationError(_("This question is closed."))
    text = (text or "").strip()
    if question.choices:
        if choice is None or not (0 <= choice < len(question.choices)):
            raise ValidationError({"choice": _("Choose one of the answers.")})
    else:
        choice = None
        if not text:
            raise ValidationError({"text": _("Write your answer.")})
    if len(text) > 2000:
        raise ValidationError({"text": _("An answer has at most 2,000 characters.")})
    answer, _created = Answer.objects.update_or_create(
        question=question,
        member=member,
        defaults={"choice": choice, "text": text, "created_at": timezone.now()},
    )
    return answer
