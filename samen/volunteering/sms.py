"""SMS commands for people with a basic phone: JOIN <code> and HOURS <code> <hours>.

Registered with the messaging router in AppConfig.ready(); STOP and START are messaging's own and
work for every feature. The sender is identified by the phone number on their profile. Every answer
is one short SMS, keyed on the inbound message, so a retried delivery answers once; an unknown code
or a malformed command gets the help text and changes nothing.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.messaging import inbox, outbox
from samen.messaging.models import InboundMessage

from . import actions, notify
from .models import Opportunity, Participation

EXTERNAL_REF_CHARS = 120


def _reply(message: InboundMessage, text: str) -> None:
    if message.sender:
        outbox.queue(
            message.gateway,
            message.sender,
            text,
            key=f"volunteering.sms-reply:{message.pk}",
            channel=message.channel,
            in_reply_to=message,
            member=message.member,
        )
    InboundMessage.objects.filter(pk=message.pk).update(
        state=InboundMessage.State.ANSWERED, answered_at=timezone.now()
    )


def help_text() -> str:
    return _(
        "Unknown task code. Send JOIN and the code, or HOURS, the code and the hours. The code is on the task's page."
    )


def _parse(rest: str) -> tuple[Opportunity | None, list[str]]:
    words = rest.split()
    if not words:
        return None, []
    code = words[0].strip(".,;:!?").upper()
    return Opportunity.objects.select_related("initiative").filter(code=code).first(), words[1:]


def _member(message: InboundMessage):
    return message.member or inbox.member_for(message.sender)


def handle_join(message: InboundMessage, rest: str) -> None:
    with notify.in_site_language():
        opportunity, _words = _parse(rest)
        if opportunity is None or opportunity.initiative.status == "draft":
            return _reply(message, help_text())
        member = _member(message)
        if member is None:
            return _reply(
                message,
                _("We don't know this number. Add it to your Samen profile, then send JOIN %(code)s again.")
                % {"code": opportunity.code},
            )
        before = (
            Participation.objects.filter(opportunity=opportunity, member=member)
            .values_list("state", flat=True)
            .first()
        )
        try:
            participation, _created = actions.apply(opportunity, member, source=Participation.Source.SMS)
        except ValidationError as error:
            return _reply(message, " ".join(error.messages))
        if before in (Participation.State.APPLIED, Participation.State.ACCEPTED):
            text = _("You already asked to join %(code)s.") % {"code": opportunity.code}
        elif participation.state == Participation.State.ACCEPTED:
            text = _("You're in for %(code)s: %(task)s. Log 2 hours: HOURS %(code)s 2") % {
                "code": opportunity.code,
                "task": opportunity.title[:60],
            }
        else:
            text = _("Thanks! You applied for %(code)s: %(task)s. The team will reply.") % {
                "code": opportunity.code,
                "task": opportunity.title[:60],
            }
        return _reply(message, text)


def handle_hours(message: InboundMessage, rest: str) -> None:
    with notify.in_site_language():
        opportunity, words = _parse(rest)
        if opportunity is None:
            return _reply(message, help_text())
        member = _member(message)
        participation = (
            Participation.objects.filter(opportunity=opportunity, member=member).first() if member else None
        )
        if participation is None or participation.state != Participation.State.ACCEPTED:
            return _reply(
                message,
                _("You are not on %(code)s yet. Send JOIN %(code)s first.") % {"code": opportunity.code},
            )
        if not words:
            return _reply(
                message,
                _("Send HOURS, the code and the hours, for example HOURS %(code)s 2")
                % {"code": opportunity.code},
            )
        try:
            minutes = actions.parse_hours(words[0])
            entry, _created = actions.log_hours(
                participation,
                minutes=minutes,
                note=" ".join(words[1:])[:300],
                external_ref=_external_ref(message),
            )
        except ValidationError as error:
            return _reply(message, " ".join(error.messages))
        hours = f"{entry.minutes / 60:g}"
        return _reply(
            message,
            _("Logged %(hours)s h for %(code)s. The team will confirm.")
            % {"hours": hours, "code": opportunity.code},
        )


def _external_ref(message: InboundMessage) -> str:
    key = f"sms:{message.idempotency_key}"
    if len(key) <= EXTERNAL_REF_CHARS:
        return key
    return "sms:#" + hashlib.sha256(key.encode()).hexdigest()
