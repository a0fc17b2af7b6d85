"""Background work for outreach. Every task here is safe to run twice.

A variant goes to each follower with a link of its own (channel e-mail or SMS, recipient set), so a
click traces back to the person. Idempotency keys per (variant, medium, member) make a second run,
or a second press of the button, send nothing twice. Opt-outs are messaging's job: send_email()
and queue() store a message for an opted-out address as suppressed and send nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from samen.messaging import optout, outbox

from . import scopes
from .attribution import tracked_url
from .models import Sending


def mail_key(variant_pk: int, medium: str, member_pk: int) -> str:
    return f"outreach:{variant_pk}:{medium}:{member_pk}"


@task
def send_to_followers(sending_id: int) -> int:
    """Queue the variant for every follower who wants it on this medium. Returns how many."""
    sending = (
        Sending.objects.select_related("variant__message__initiative", "gateway_channel")
        .filter(pk=sending_id)
        .first()
    )
    if sending is None or sending.finished_at is not None:
        return 0
    variant = sending.variant
    message = variant.message
    if sending.medium == Sending.Medium.SMS and sending.gateway_channel is None:
        return 0
    found = scopes.recipients(message, sending.medium)
    if found is None:
        return 0
    followers = found.order_by("pk")
    queued = 0
    with translation.override(settings.LANGUAGE_CODE):
        about, reason = _why(message)
        for member in followers.only("pk", "email", "phone", "name").iterator():
            address = member.phone if sending.medium == Sending.Medium.SMS else member.email
            # Nobody who opted out gets a link made for them; the outbox records the suppression.
            url = (
                ""
                if optout.is_opted_out(address, sending.medium)
                else tracked_url(
                    None,
                    target=message.target,
                    channel=sending.medium,
                    variant=variant,
                    recipient=address,
                    recipient_member=member,
                )
            )
            key = mail_key(variant.pk, sending.medium, member.pk)
            channel = sending.gateway_channel
            if sending.medium == Sending.Medium.SMS and channel is not None:
                outbox.queue(
                    channel.kind,
                    address,
                    f"{variant.text_for('sms')} {url}",
                    key=key,
                    member=member,
                    channel=channel,
                )
            else:
                subject = variant.email_subject or about
                body = "\n\n".join([variant.text_for("email"), url, reason])
                outbox.send_email(address, subject[:200], body, key=key, member=member)
            queued += 1
    Sending.objects.filter(pk=sending.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), queued=queued
    )
    return queued


def _why(message) -> tuple[str, str]:
    """What the message is about (the default e-mail subject) and why the recipient gets it."""
    if message.initiative_id:
        about = message.initiative.title
        return about, _("You get this because you follow %(initiative)s on Samen.") % {"initiative": about}
    rules = scopes.rules_for(message.subject)
    return str(message.subject), rules.reason(message.subject) if rules else ""
