"""What the outreach pages and the API do: one function per action, shared by both."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from . import links
from .models import Message, Sending, Variant

# Channels where a variant may say something else than its share text (SMS has its own field).
OWN_TEXT_CHANNELS = ("x", "linkedin", "facebook", "whatsapp", "email")
# X counts a post as 280 characters and every link as 23, with a space before it.
X_TEXT_LIMIT = 256


def channel_text_problems(text: str, channel_texts: dict) -> dict[str, str]:
    """What a variant's texts cannot do: {"text" or a channel: why}. Empty when all is well."""
    problems: dict[str, str] = {}
    for channel in sorted(set(channel_texts) - set(OWN_TEXT_CHANNELS)):
        problems[channel] = _("There is no channel “%(channel)s” to give a text of its own.") % {
            "channel": channel
        }
    on_x = channel_texts.get("x") or text
    if len(on_x) > X_TEXT_LIMIT:
        problems["x" if channel_texts.get("x") else "text"] = _(
            "A post on X holds 280 characters and the link takes 24 of them: keep this to %(limit)s "
            "(it has %(length)s), or give a shorter text for X."
        ) % {"limit": X_TEXT_LIMIT, "length": len(on_x)}
    return problems


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
    target = links.clean_new_target(target or subject.get_absolute_url())
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
                channel_texts=_own_texts(item),
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
            variant.channel_texts = _own_texts(item)
            variant.email_subject = email_subject
            variant.save()
    return message


def _own_texts(item: dict) -> dict[str, str]:
    given = item.get("channel_texts") or {}
    return {
        channel: given[channel].strip() for channel in OWN_TEXT_CHANNELS if (given.get(channel) or "").strip()
    }


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
