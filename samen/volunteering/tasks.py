"""The weekly digest: new tasks that match each member, by e-mail, once a week.

Run by cron through `manage.py volunteering_digest` (which enqueues `weekly_digest`). Safe to run
twice: each member's e-mail carries the key "volunteering.digest:<member>:<ISO year-week>", so the
outbox keeps one. Members who do not take e-mail (`contact_by_email` off) are left out; addresses
that opted out get a SUPPRESSED row from the outbox and no mail.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.initiatives.models import TeamMember
from samen.messaging import outbox

from . import matching, notify, suggest
from .actions import open_opportunities
from .models import Opportunity, Participation

DIGEST_DAYS = 7


def week_key(now=None) -> str:
    year, week, _day = timezone.localdate(now).isocalendar()
    return f"{year}-W{week:02d}"


def send_digest(now=None) -> int:
    """Queue this week's digest for every member with new matching tasks; returns how many members."""
    from samen.people.models import Member

    now = now or timezone.now()
    week = week_key(now)
    new_tasks = open_opportunities(timezone.localdate(now)).filter(
        created_at__gte=now - timedelta(days=DIGEST_DAYS)
    )
    if not new_tasks.exists():
        return 0
    members = Member.objects.filter(is_active=True, contact_by_email=True).exclude(email="")
    # A team hears about its own tasks anyway; and nobody is told about a task they are already on.
    initiative_of = dict(new_tasks.values_list("pk", "initiative_id"))
    team_of: dict[int, set[int]] = {}
    for initiative_id, member_id in TeamMember.objects.filter(
        initiative_id__in=set(initiative_of.values())
    ).values_list("initiative_id", "member_id"):
        team_of.setdefault(initiative_id, set()).add(member_id)
    taken = set(
        Participation.objects.filter(opportunity__in=new_tasks).values_list("member_id", "opportunity_id")
    )
    sent = 0
    for member_id, found_ranked in suggest.batch(members, new_tasks, top=2 * matching.TOP):
        ranked = [
            s
            for s in found_ranked
            if member_id not in team_of.get(initiative_of[s.opportunity_id], ())
            and (member_id, s.opportunity_id) not in taken
        ][: matching.TOP]
        if not ranked:
            continue
        member = Member.objects.get(pk=member_id)
        found = Opportunity.objects.select_related("initiative").in_bulk([s.opportunity_id for s in ranked])
        items = [
            {
                "opportunity": found[s.opportunity_id],
                "reasons": s.reasons(),
                "url": f"{settings.SITE_URL}{found[s.opportunity_id].get_absolute_url()}",
            }
            for s in ranked
            if s.opportunity_id in found
        ]
        with notify.in_site_language():
            context = {"member": member, "items": items, "site_url": settings.SITE_URL}
            body = render_to_string("volunteering/email/digest.txt", context)
            subject = _("New tasks that fit your skills")
        outbox.send_email(
            member.email, subject, body, key=f"volunteering.digest:{member.pk}:{week}", member=member
        )
        sent += 1
    return sent


@task()
def weekly_digest() -> int:
    return send_digest()
