"""What the outreach pages and the API do: one function per action, shared by both."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from . import links
from .models import Message, Sending, Variant


def create_message(
    initiative,
    *,
    by,
    title: str,
    target: str,
    variants: list[dict],
    email_subject: str = "",
    subject=None,
) -> Message:
    """A message with its variants (dicts with label, text and optionally sms_text, preview fields).

    `initiative` is None for a message about a subject of its own (a giving campaign).
    """
    subject = subject if subject is not None else initiative
    if subject is None:
        raise ValueError("a message is about an initiative or a subject")
    target = links.clean_target(target or subject.get_absolute_url())
    if not variants:
        raise ValueError("a message needs at least one variant")
    with transaction.atomic():
        message = Message.objects.create(
            initiative=initiative,
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=subject.pk,
            title=title,
            target=target,
            created_by=by,
        )
        Variant.objects.bulk_create(
            Variant(
                message=message,
                label=item["label"],
                text=item["text"],
                sms_text=item.get("sms_text", ""),
                email_subject=item.get("email_subject", "") or email_subject,
                preview_title=item.get("preview_title", "") or title_for_preview(subject),
                preview_description=item.get("preview_description", "") or item["text"][:200],
            )
            for item in variants
        )
    return message


def update_message(message: Message, *, title: str, email_subject: str, variants: list[dict]) -> Message:
    """New wording for a message. Its links stay as they are (where they lead, their codes and figures);
    a variant may be added, none removed: people may have shared its links already."""
    subject = message.subject or message.initiative
    existing = {variant.label: variant for variant in message.variants.all()}
    missing = set(existing) - {item["label"] for item in variants}
    if missing:
        raise ValueError(f"variants {sorted(missing)} cannot be removed")
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(title=title)
        message.title = title
        for item in variants:
            variant = existing.get(item["label"])
            if variant is None:
                variant = Variant(
                    message=message, label=item["label"], preview_title=title_for_preview(subject)
                )
            if not variant.preview_description or variant.preview_description == variant.text[:200]:
                variant.preview_description = item["text"][:200]
            variant.text = item["text"]
            variant.sms_text = item.get("sms_text", "")
            variant.email_subject = email_subject
            variant.save()
    return message


def title_for_preview(subject) -> str:
    return str(getattr(subject, "title", "") or subject)[:100]


def send_variant(variant: Variant, *, medium: str, by, gateway_channel=None) -> Sending:
    """Queue a variant for the initiative's followers; the work runs in a background task."""
    from .tasks import send_to_followers

    with transaction.atomic():
        sending = Sending.objects.create(
            variant=variant, medium=medium, gateway_channel=gateway_channel, requested_by=by
        )
        pk = sending.pk
        transaction.on_commit(lambda: send_to_followers.enqueue(pk))
    return sending
