"""What a person does with an inbound message that nothing wanted: take it or set it aside.

The router leaves such a message NEW with `unmatched_at` set. A feature offers it to the people
concerned (reports: the inbox of messages that match no map) and calls one of these. Each is a
conditional UPDATE, so a double-submitted form or two coordinators at once act exactly once, and
each writes one `InboundMessageChange` (who, what, when). Nothing is deleted: a discarded message
stays stored and can be put back.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from samen.messaging.models import InboundMessage, InboundMessageChange

State = InboundMessage.State
ASSIGNED = "assigned"
DISCARDED = "discarded"
PUT_BACK = "put_back"


def waiting():
    """Messages nothing wanted, waiting for a person."""
    return InboundMessage.objects.filter(state=State.NEW, unmatched_at__isnull=False)


def log(message: InboundMessage, actor, action: str, changes: dict) -> InboundMessageChange:
    return InboundMessageChange.objects.create(
        message=message,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        changes=changes,
    )


def take(message: InboundMessage, actor, *, route: str, make: Callable[[], dict]) -> bool:
    """Claim a waiting message for `route`, and let `make()` turn it into what it becomes.

    `make` runs in the same transaction as the claim and returns what to add to the log (for
    example the report it made). When it raises, the claim is undone and the message waits again.
    Returns False, changing nothing, when the message is no longer waiting (someone took or
    discarded it first, or a double-submit).
    """
    with transaction.atomic():
        claimed = (
            waiting().filter(pk=message.pk).update(state=State.ROUTED, route=route, owner=actor, error="")
        )
        if claimed != 1:
            return False
        changes = {"state": [State.NEW.value, State.ROUTED.value], "route": ["", route], **make()}
        log(message, actor, ASSIGNED, changes)
    message.state, message.route, message.owner = State.ROUTED, route, actor
    return True


def discard(message: InboundMessage, actor) -> bool:
    """Set a waiting message aside. It stays stored; `put_back` undoes it."""
    with transaction.atomic():
        if waiting().filter(pk=message.pk).update(state=State.DISCARDED, owner=actor) != 1:
            return False
        log(message, actor, DISCARDED, {"state": [State.NEW.value, State.DISCARDED.value]})
    message.state, message.owner = State.DISCARDED, actor
    return True


def put_back(message: InboundMessage, actor) -> bool:
    """Return a discarded message to the people who look at waiting messages."""
    with transaction.atomic():
        moved = InboundMessage.objects.filter(pk=message.pk, state=State.DISCARDED).update(
            state=State.NEW, owner=None, unmatched_at=timezone.now()
        )
        if moved != 1:
            return False
        log(message, actor, PUT_BACK, {"state": [State.DISCARDED.value, State.NEW.value]})
    message.state, message.owner = State.NEW, None
    return True
