"""The only way to read an inbound message or its sender's contact.

Senders include crisis reporters and whistle-blowers, so contacts are private. For now only
staff may see inbound messages; later features (report reviewers, initiative teams answering
SMS) widen this here, in one place. A refusal is a 404 so nobody learns what exists.
"""

from __future__ import annotations

from samen.core.access import deny, is_signed_in
from samen.messaging.models import InboundMessage


def _is_staff(viewer) -> bool:
    return is_signed_in(viewer) and viewer.is_active and viewer.is_staff


def get_inbound_for_viewer(viewer, pk) -> InboundMessage:
    if not _is_staff(viewer):
        raise deny()
    try:
        return InboundMessage.objects.select_related("channel", "member", "owner").get(pk=pk)
    except (InboundMessage.DoesNotExist, ValueError, TypeError):
        raise deny() from None


def sender_contact_for_viewer(viewer, message: InboundMessage) -> str:
    """The sender's phone number or e-mail address, for viewers allowed to contact them."""
    if not _is_staff(viewer):
        raise deny()
    return message.sender
