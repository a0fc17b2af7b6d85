"""E-mailed replies become reactions. Registered with the messaging router at start-up (apps.py).

Notification e-mails carry a signed per-recipient token (see mail.py). A reply that brings it back,
from the address the notification went to, lands as a reaction by that member: a new reaction on the
section (an invitation), or a reply in the thread (an answer, a new-reaction notice, a reminder).
Quoted text and signatures are stripped. Routing runs in messaging's route task, which may run twice:
one inbound message makes at most one reaction (Reaction.inbound is unique).
"""

from __future__ import annotations

from email.utils import parseaddr

from django.core.exceptions import ValidationError

from samen.core.text import scrub_contacts
from samen.initiatives.access import can_view, role_for
from samen.messaging import router
from samen.messaging.models import InboundMessage
from samen.people.models import Member

from . import actions
from .mail import ReplyTarget, find_reply_target, strip_quoted
from .models import MAX_DEPTH, Reaction, Section

ROUTE = "plans.reply"
EMAIL_GATEWAYS = {"inbound_email", "email"}
_TARGET = "_plans_reply_target"


def _target(message: InboundMessage) -> ReplyTarget | None:
    if message.gateway not in EMAIL_GATEWAYS:
        return None
    target = find_reply_target(message.subject, message.body)
    if target is None:
        return None
    sender = parseaddr(message.sender)[1].strip().lower()
    email = Member.objects.filter(pk=target.member_id, is_active=True).values_list("email", flat=True).first()
    if not email or email.strip().lower() != sender:
        return None  # forwarded, or someone else answering: a person should look at it
    return target


def matches(message: InboundMessage) -> bool:
    target = _target(message)
    if target is None:
        return False
    setattr(message, _TARGET, target)
    return True


def handle(message: InboundMessage) -> Reaction:
    existing = Reaction.objects.filter(inbound=message).first()
    if existing is not None:
        return existing
    target = getattr(message, _TARGET, None) or _target(message)
    if target is None:
        raise LookupError("the reply token is no longer valid for this sender")
    section = Section.objects.select_related("plan__initiative").get(pk=target.section_id)
    member = Member.objects.get(pk=target.member_id)
    if not can_view(role_for(member, section.plan.initiative), section.plan.initiative):
        # The initiative went back to draft since the mail went out: keep the message for a person.
        raise PermissionError("the plan is no longer visible to this member")
    parent = None
    if target.parent_id:
        parent = Reaction.objects.filter(pk=target.parent_id, section=section).first()
        # The thread is as deep as it goes: the reply joins it one level up.
        while parent is not None and parent.depth >= MAX_DEPTH:
            parent = parent.parent
    # What is left of a mail can still hold a signature without "-- " (a phone number, an address):
    # a reaction is published, so contacts are scrubbed as in published reports.
    text = scrub_contacts(strip_quoted(message.body))
    if not text:
        raise ValidationError("the reply has no text of its own (only quoted text or a signature)")
    if message.member_id is None:
        InboundMessage.objects.filter(pk=message.pk).update(member=member)
    return actions.add_reaction(section, member, text, parent=parent, via=Reaction.Via.EMAIL, inbound=message)


def register() -> None:
    router.register_route(ROUTE, matches, handle)
