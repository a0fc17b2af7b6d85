"""The only way to read an inbound message or its sender's contact.

Senders include crisis reporters and whistle-blowers, so contacts are private. Site staff see
every inbound message. Feature apps widen this for their own people, here and in one place: a
rule registered with `register_viewer_rule(rule)` takes the viewer and returns a Q of the
messages that viewer may also see, or None (reports lets a map's coordinators see the messages
that match no map but came in through their map's channel, number or address). A refusal is a
404 so nobody learns what exists.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from samen.core.access import deny, is_signed_in
from samen.messaging.models import InboundMessage

ViewerRule = Callable[[object], Q | None]
_rules: list[ViewerRule] = []


def register_viewer_rule(rule: ViewerRule) -> None:
    """Let `rule(viewer)` name more messages a signed-in viewer may see. Registering twice is harmless."""
    if rule not in _rules:
        _rules.append(rule)


def _is_staff(viewer) -> bool:
    return is_signed_in(viewer) and viewer.is_active and viewer.is_staff


def inbound_for_viewer(viewer) -> QuerySet[InboundMessage]:
    """Every inbound message the viewer may see: all for staff, what the rules allow for others."""
    messages = InboundMessage.objects.all()
    if _is_staff(viewer):
        return messages
    if not (is_signed_in(viewer) and viewer.is_active):
        return messages.none()
    allowed = [q for q in (rule(viewer) for rule in _rules) if q is not None]
    if not allowed:
        return messages.none()
    query = allowed[0]
    for q in allowed[1:]:
        query |= q
    return messages.filter(query)


def get_inbound_for_viewer(viewer, pk) -> InboundMessage:
    try:
        return inbound_for_viewer(viewer).select_related("channel", "member", "owner").get(pk=pk)
    except (InboundMessage.DoesNotExist, ValueError, TypeError):
        raise deny() from None


def sender_contact_for_viewer(viewer, message: InboundMessage) -> str:
    """The sender's phone number or e-mail address, for viewers allowed to see the message."""
    if not _is_staff(viewer) and not inbound_for_viewer(viewer).filter(pk=message.pk).exists():
        raise deny()
    return message.sender
