"""Every change with rules or side effects, as one named function: the web views, the API and the
SMS commands all call these, so they check the same things and tell the same people.

Refusals raise django's ValidationError with a sentence a person can read (the views show it as a
form error, the API as a 400 with `detail`, the SMS handler as a short reply).
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.impact import ledger
from samen.outreach import attribution

from . import matching, notify, vocabulary
from .models import (
    MAX_MINUTES_PER_ENTRY,
    Comment,
    Opportunity,
    OpportunityTerm,
    Participation,
    Pledge,
    TimeEntry,
    new_code,
)

LEDGER_SOURCE = "volunteering.time_entry"
JOIN_SOURCE = "volunteering.participation"


def _link(name: str, *args) -> str:
    """An absolute link for e-mails."""
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


# --- Opportunities ---------------------------------------------------------------------------------


def index_opportunity(opportunity: Opportunity) -> None:
    """Keep the normalised terms (for ranking) and the term rows (for finding candidates) current."""
    skill_terms, text_terms = matching.opportunity_terms(
        title=opportunity.title, description=opportunity.description, skills=opportunity.skills
    )
    opportunity.terms = {
        "skills": sorted(skill_terms),
        "text": sorted(text_terms),
        "languages": sorted(vocabulary.language_codes(opportunity.languages)),
    }
    Opportunity.objects.filter(pk=opportunity.pk).update(terms=opportunity.terms)
    OpportunityTerm.objects.filter(opportunity=opportunity).delete()
    OpportunityTerm.objects.bulk_create(
        [
            OpportunityTerm(opportunity=opportunity, term=term[:80])
            for term in sorted(skill_terms | text_terms)
        ]
    )


def save_opportunity(opportunity: Opportunity) -> Opportunity:
    """Create or update, with a fresh SMS code on a (rare) clash, and the matching index kept."""
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    opportunity.save()
                break
            except IntegrityError:
                if opportunity.pk is not None and Opportunity.objects.filter(pk=opportunity.pk).exists():
                    raise
                opportunity.code = new_code()
        index_opportunity(opportunity)
    return opportunity


def places_left(opportunity: Opportunity) -> int:
    taken = opportunity.participations.filter(state=Participation.State.ACCEPTED).count()
    return max(0, opportunity.places_available - taken)


# --- Taking part -------------------------------------------------------------------------------------


def apply(
    opportunity: Opportunity, member, *, motivation: str = "", source: str = "web", request=None
) -> tuple[Participation, bool]:
    """Join (apply for) a task. Returns (participation, created); a second try changes nothing.

    An invitation the member had is accepted by applying; someone who withdrew or was declined may
    apply again on the same row. The database allows one row per member and task.
    """
    if not opportunity.is_open_on(timezone.localdate()):
        raise ValidationError(_("This task is not open for volunteers any more."))
    motivation = (motivation or "").strip()[:1000]
    with transaction.atomic():
        existing = (
            Participation.objects.select_for_update().filter(opportunity=opportunity, member=member).first()
        )
        if existing is not None:
            if existing.state == Participation.State.INVITED:
                existing.state = Participation.State.ACCEPTED
                existing.decided_at = timezone.now()
                existing.save(update_fields=["state", "decided_at"])
                _joined(existing, request)
                return existing, False
            if existing.state in (Participation.State.WITHDRAWN, Participation.State.DECLINED):
                existing.state = Participation.State.APPLIED
                existing.motivation = motivation or existing.motivation
                existing.save(update_fields=["state", "motivation"])
                _tell_team_about(existing)
                return existing, False
            return existing, False
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    opportunity=opportunity, member=member, motivation=motivation, source=source
                )
        except IntegrityError:
            # Two requests at once: the other one made the row.
            return Participation.objects.get(opportunity=opportunity, member=member), False
        _joined(participation, request)
        _tell_team_about(participation)
    return participation, True


def _joined(participation: Participation, request) -> None:
    attribution.record_conversion(
        kind=attribution.VOLUNTEER_JOIN,
        source=JOIN_SOURCE,
        source_ref=str(participation.pk),
        request=request,
        member=participation.member,
        initiative=participation.opportunity.initiative,
    )


def _team(opportunity: Opportunity):
    from samen.initiatives.models import TeamMember

    return [
        row.member
        for row in TeamMember.objects.filter(initiative=opportunity.initiative).select_related("member")
    ]


def _tell_team_about(participation: Participation) -> None:
    opportunity = participation.opportunity
    link = _link("volunteering:detail", opportunity.pk)
    with notify.in_site_language():
        subject = _("%(name)s wants to help with “%(task)s”") % {
            "name": participation.member.display_name,
            "task": opportunity.title,
        }
        body = _("%(name)s applied for “%(task)s”. Accept or decline on %(link)s\n\n%(motivation)s") % {
            "name": participation.member.display_name,
            "task": opportunity.title,
            "link": link,
            "motivation": participation.motivation,
        }
        stamp = int(timezone.now().timestamp())
        for person in _team(opportunity):
            notify.tell(
                person,
                key=f"volunteering.applied:{participation.pk}:{person.pk}:{stamp}",
                subject=subject,
                body=body,
                sms=_("%(name)s applied for %(code)s.")
                % {"name": participation.member.display_name, "code": opportunity.code},
            )


def decide(participation: Participation, actor, *, accept: bool) -> Participation:
    """The team accepts or declines an application."""
    if participation.state not in (
        Participation.State.APPLIED,
        Participation.State.ACCEPTED,
        Participation.State.DECLINED,
    ):
        raise ValidationError(_("Only an application can be accepted or declined."))
    new_state = Participation.State.ACCEPTED if accept else Participation.State.DECLINED
    if participation.state == new_state:
        return participation
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=participation.opportunity_id)
        if accept and places_left(opportunity) < 1:
            raise ValidationError(_("All places on this task are taken."))
        participation.state = new_state
        participation.decided_at = timezone.now()
        participation.decided_by = actor
        participation.save(update_fields=["state", "decided_at", "decided_by"])
    opportunity = participation.opportunity
    with notify.in_site_language():
        if accept:
            subject = _("You are on the team for “%(task)s”") % {"task": opportunity.title}
            sms = _("You're in for %(code)s. Log 2 hours: HOURS %(code)s 2") % {"code": opportunity.code}
        else:
            subject = _("About “%(task)s”") % {"task": opportunity.title}
            sms = _("Sorry, %(code)s did not work out this time.") % {"code": opportunity.code}
        body = subject + "\n\n" + _link("volunteering:detail", opportunity.pk)
        notify.tell(
            participation.member,
            key=f"volunteering.decided:{participation.pk}:{new_state}:{int(participation.decided_at.timestamp())}",
            subject=subject,
            body=body,
            sms=sms,
        )
    return participation


def withdraw(participation: Participation) -> Participation:
    if participation.state == Participation.State.WITHDRAWN:
        return participation
    participation.state = Participation.State.WITHDRAWN
    participation.save(update_fields=["state"])
    return participation


def invite(opportunity: Opportunity, member, actor) -> tuple[Participation, bool]:
    """The team invites a suggested member. Only members open to invitations; never twice."""
    if not member.open_to_invitations:
        raise ValidationError(_("This member does not take invitations."))
    participation, created = Participation.objects.get_or_create(
        opportunity=opportunity,
        member=member,
        defaults={"state": Participation.State.INVITED, "decided_by": actor},
    )
    if created:
        with notify.in_site_language():
            subject = _("You are invited to help with “%(task)s”") % {"task": opportunity.title}
            body = _("%(team)s thinks your skills fit “%(task)s”. See it and say yes or no: %(link)s") % {
                "team": opportunity.initiative.title,
                "task": opportunity.title,
                "link": _link("volunteering:detail", opportunity.pk),
            }
            notify.tell(
                member,
                key=f"volunteering.invited:{participation.pk}",
                subject=subject,
                body=body,
                sms=_("Invited to %(task)s. Reply JOIN %(code)s to join.")
                % {"task": opportunity.title[:60], "code": opportunity.code},
            )
    return participation, created


def decline_invitation(participation: Participation) -> Participation:
    if participation.state == Participation.State.INVITED:
        participation.state = Participation.State.DECLINED
        participation.save(update_fields=["state"])
    return participation


# --- Discussion ------------------------------------------------------------------------------------


def post_comment(opportunity: Opportunity, author, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    comment = Comment.objects.create(opportunity=opportunity, author=author, body=body[:4000])
    people = {person.pk: person for person in _team(opportunity)}
    for row in opportunity.participations.filter(state=Participation.State.ACCEPTED).select_related("member"):
        people[row.member_id] = row.member
    people.pop(author.pk, None)
    with notify.in_site_language():
        subject = _("New message about “%(task)s”") % {"task": opportunity.title}
        text = f"{author.display_name}:\n\n{comment.body}\n\n{_link('volunteering:detail', opportunity.pk)}"
        for person in people.values():
            notify.tell(
                person, key=f"volunteering.comment:{comment.pk}:{person.pk}", subject=subject, body=text
            )
    return comment


# --- Hours -------------------------------------------------------------------------------------------


def parse_hours(text: str) -> int:
    """'2', '1.5', '1,5', '90m' → minutes; ValidationError for anything else or out of bounds."""
    raw = (text or "").strip().lower().replace(",", ".")
    try:
        minutes = int(raw[:-1]) if raw.endswith("m") else round(float(raw.rstrip("h")) * 60)
    except ValueError:
        raise ValidationError(_("Give the hours as a number, for example 2 or 1.5.")) from None
    check_minutes(minutes)
    return minutes


def check_minutes(minutes) -> None:
    if not isinstance(minutes, int) or minutes < 1:
        raise ValidationError(_("Hours must be more than zero."))
    if minutes > MAX_MINUTES_PER_ENTRY:
        raise ValidationError(_("At most 24 hours in one entry; log each day on its own."))


def log_hours(
    participation: Participation,
    *,
    minutes: int,
    note: str = "",
    occurred_on=None,
    external_ref: str | None = None,
) -> tuple[TimeEntry, bool]:
    """A participant logs time. Only someone accepted on the task; bounded; one entry per external ref."""
    if participation.state != Participation.State.ACCEPTED:
        raise ValidationError(_("Only accepted participants can log hours."))
    check_minutes(minutes)
    occurred_on = occurred_on or timezone.localdate()
    if occurred_on > timezone.localdate():
        raise ValidationError(_("Hours cannot be logged for a day in the future."))
    if external_ref:
        existing = TimeEntry.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            entry = TimeEntry.objects.create(
                participation=participation,
                minutes=minutes,
                note=(note or "").strip()[:300],
                occurred_on=occurred_on,
                external_ref=external_ref or None,
            )
    except IntegrityError:
        return TimeEntry.objects.get(external_ref=external_ref), False
    opportunity = participation.opportunity
    with notify.in_site_language():
        subject = _("Hours to confirm for “%(task)s”") % {"task": opportunity.title}
        body = _("%(name)s logged %(minutes)s minutes. Confirm them on %(link)s") % {
            "name": participation.member.display_name,
            "minutes": minutes,
            "link": _link("volunteering:detail", opportunity.pk),
        }
        for person in _team(opportunity):
            notify.tell(person, key=f"volunteering.hours:{entry.pk}:{person.pk}", subject=subject, body=body)
    return entry, True


def confirm_hours(entry: TimeEntry, actor, *, request=None) -> TimeEntry:
    """The team confirms: the entry goes into the ledger as time given. Safe to call twice."""
    with transaction.atomic():
        changed = TimeEntry.objects.filter(pk=entry.pk, state=TimeEntry.State.PENDING).update(
            state=TimeEntry.State.CONFIRMED, decided_at=timezone.now(), decided_by=actor
        )
        entry.refresh_from_db()
        if entry.state != TimeEntry.State.CONFIRMED:
            raise ValidationError(_("These hours were already marked as not confirmed."))
        participation = entry.participation
        opportunity = participation.opportunity
        occurred_at = timezone.make_aware(datetime.combine(entry.occurred_on, time(12)))
        ledger.record(
            kind=ledger.Kind.TIME,
            initiative=opportunity.initiative,
            source=LEDGER_SOURCE,
            source_ref=str(entry.pk),
            member=participation.member,
            minutes=entry.minutes,
            description=(entry.note or opportunity.title)[:300],
            occurred_at=occurred_at,
        )
        attribution.record_conversion(
            kind=attribution.HOURS,
            source=LEDGER_SOURCE,
            source_ref=str(entry.pk),
            request=request,
            member=participation.member,
            initiative=opportunity.initiative,
            minutes=entry.minutes,
        )
    if changed:
        with notify.in_site_language():
            subject = _("Your hours for “%(task)s” are confirmed") % {"task": opportunity.title}
            notify.tell(
                participation.member,
                key=f"volunteering.confirmed:{entry.pk}",
                subject=subject,
                body=subject + "\n\n" + _link("volunteering:my_one_percent"),
                sms=_("%(minutes)s min for %(code)s confirmed. Thank you!")
                % {"minutes": entry.minutes, "code": opportunity.code},
            )
    return entry


def reject_hours(entry: TimeEntry, actor) -> TimeEntry:
    changed = TimeEntry.objects.filter(pk=entry.pk, state=TimeEntry.State.PENDING).update(
        state=TimeEntry.State.REJECTED, decided_at=timezone.now(), decided_by=actor
    )
    entry.refresh_from_db()
    if not changed and entry.state == TimeEntry.State.CONFIRMED:
        raise ValidationError(_("Confirmed hours are in the ledger and stay there."))
    return entry


# --- Pledges -------------------------------------------------------------------------------------------


def set_pledge(member, **fields) -> Pledge:
    pledge, _created = Pledge.objects.update_or_create(member=member, defaults=fields)
    return pledge


def open_opportunities(today=None):
    today = today or timezone.localdate()
    return (
        Opportunity.objects.filter(status=Opportunity.Status.OPEN)
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=today))
        .exclude(initiative__status="draft")
    )
