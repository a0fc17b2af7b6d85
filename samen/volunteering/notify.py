"""Telling people what happened: by e-mail, and by SMS where they chose it. Always through the outbox.

Every message has an idempotency key tied to the event, so a retried request sends once. Opt-outs
are the outbox's business: a member who texted STOP gets a SUPPRESSED row, not a message.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from samen.messaging import outbox
from samen.messaging.gateways import UnknownGateway, get_gateway
from samen.messaging.models import Channel, InboundMessage


def sms_route(member) -> tuple[str, Channel | None] | None:
    """The gateway and channel to text a member through: the one they last texted us on, else the
    first enabled SMS channel."""
    last = (
        InboundMessage.objects.filter(sender=member.phone, channel__enabled=True)
        .select_related("channel")
        .order_by("-received_at", "-id")
        .first()
    )
    if last is not None and last.channel is not None:
        return last.gateway, last.channel
    for channel in Channel.objects.filter(enabled=True).order_by("pk"):
        try:
            if get_gateway(channel.kind, channel).medium == "sms":
                return channel.kind, channel
        except UnknownGateway:
            continue
    return None


def tell(member, *, key: str, subject: str, body: str, sms: str = "") -> None:
    """E-mail `body` (if the member takes e-mail) and text `sms` (if they chose SMS and have a phone)."""
    if member.contact_by_email and member.email:
        outbox.send_email(member.email, subject, body, key=f"{key}:email", member=member)
    if sms and member.contact_by_sms and member.phone:
        route = sms_route(member)
        if route is not None:
            gateway, channel = route
            outbox.queue(gateway, member.phone, sms[:300], key=f"{key}:sms", member=member, channel=channel)


def in_site_language():
    """Messages are written in the site's language (members have no language preference yet)."""
    return translation.override(settings.LANGUAGE_CODE)
