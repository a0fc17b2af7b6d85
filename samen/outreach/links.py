"""Tracked links: where they may lead, how their codes are made, and the share intents around them.

A link is identified by everything that makes it what it is (target, channel, subject, variant,
promoter, recipient); a hash of that is unique in the database, so asking twice, or two requests at
once, gives one link. Codes are random, short (SMS counts characters) and without look-alikes.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from samen.core.cache import fragments
from samen.initiatives.models import Initiative

from .models import CHANNEL_CHOICES, TrackedLink

CHANNELS = {code for code, _label in CHANNEL_CHOICES}
# No 0/O, 1/l/I: people copy SMS links by hand.
ALPHABET = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 7
CACHE_SECONDS = 300


def site_host() -> str:
    return urlsplit(settings.SITE_URL).netloc


def allowed_hosts() -> set[str]:
    """The site itself plus the allow-list in SAMEN_OUTREACH_REDIRECT_HOSTS (setting, comma-separated)."""
    extra = getattr(settings, "SAMEN_OUTREACH_REDIRECT_HOSTS", ())
    if isinstance(extra, str):
        extra = [host.strip() for host in extra.split(",")]
    return {site_host(), *(host for host in extra if host)}


def is_safe_target(target: str, *, request_host: str = "") -> bool:
    """A path on this site, or an http(s) URL on an allowed host: never an open redirect."""
    if not target or len(target) > 500 or any(ord(ch) < 32 or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc:
        # A path: must be absolute, and not protocol-relative ("//evil.example").
        return target.startswith("/") and not target.startswith("//")
    if parts.scheme not in {"http", "https"}:
        return False
    hosts = allowed_hosts() | ({request_host} if request_host else set())
    return url_has_allowed_host_and_scheme(target, allowed_hosts=hosts)


def clean_target(target: str, *, request_host: str = "") -> str:
    """The target as stored: a path for this site (also when given as an absolute URL), else the URL."""
    target = (target or "").strip()
    if not is_safe_target(target, request_host=request_host):
        raise ValidationError(
            _("Links may only lead to a page on this site (such as /initiatives/…) or an allowed site."),
            code="unsafe_target",
        )
    parts = urlsplit(target)
    if parts.netloc and parts.netloc in {site_host(), request_host}:
        path = parts.path or "/"
        return (
            path
            + (f"?{parts.query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else "")
        )
    return target


def initiative_of(subject: Any, variant: Any = None) -> int | None:
    if isinstance(subject, Initiative):
        return subject.pk
    initiative_id = getattr(subject, "initiative_id", None)
    if initiative_id:
        return initiative_id
    if variant is not None:
        return variant.message.initiative_id
    return None


def _key(target, channel, subject_type_id, subject_id, promoter_id, variant_id, recipient) -> str:
    raw = "|".join(
        str(part or "")
        for part in (target, channel, subject_type_id, subject_id, promoter_id, variant_id, recipient)
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def link_codes(
    *,
    target: str,
    channels: list[str] | tuple[str, ...],
    subject: Any = None,
    promoter: Any = None,
    variant: Any = None,
    recipient: str = "",
    recipient_member: Any = None,
    request_host: str = "",
) -> dict[str, str]:
    """The code of the link for each channel, created where missing. At most two queries when cached."""
    target = clean_target(target, request_host=request_host)
    for channel in channels:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
    if subject is None and variant is not None:
        subject = variant.message.subject or variant.message.initiative
    subject_type_id = ContentType.objects.get_for_model(subject).pk if subject is not None else None
    subject_id = subject.pk if subject is not None else None
    promoter_id = promoter.pk if promoter is not None else None
    variant_id = variant.pk if variant is not None else None
    keys = {
        channel: _key(target, channel, subject_type_id, subject_id, promoter_id, variant_id, recipient)
        for channel in channels
    }
    cached = fragments.get_many([f"outreach:key:{key}" for key in keys.values()])
    codes = {channel: cached.get(f"outreach:key:{key}") for channel, key in keys.items()}
    missing = {channel: keys[channel] for channel, code in codes.items() if not code}
    if missing:
        found = dict(TrackedLink.objects.filter(key__in=missing.values()).values_list("key", "code"))
        for channel, key in missing.items():
            code = found.get(key) or _create(
                key=key,
                target=target,
                channel=channel,
                subject_type_id=subject_type_id,
                subject_id=subject_id,
                initiative_id=initiative_of(subject, variant),
                message_id=variant.message_id if variant is not None else None,
                variant_id=variant_id,
                promoter_id=promoter_id,
                recipient=recipient,
                recipient_member_id=recipient_member.pk if recipient_member is not None else None,
            )
            codes[channel] = code
        # Only once the rows are committed: a rolled-back link must not stay in the cache.
        learned = {f"outreach:key:{keys[channel]}": codes[channel] for channel in missing}
        transaction.on_commit(lambda: fragments.set_many(learned, CACHE_SECONDS))
    return {channel: str(code) for channel, code in codes.items()}


def _create(*, key: str, **fields) -> str:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return TrackedLink.objects.create(key=key, code=new_code(), **fields).code
        except IntegrityError:
            existing = TrackedLink.objects.filter(key=key).values_list("code", flat=True).first()
            if existing:
                return existing  # another request made the same link first
            # Otherwise the random code was taken: draw another.
    raise RuntimeError("could not find a free link code")


def absolute(request, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def short_path(code: str) -> str:
    return f"/l/{code}"


# --- Share intents ------------------------------------------------------------------------------

LABELS = {
    "x": _("Share on X"),
    "linkedin": _("Share on LinkedIn"),
    "facebook": _("Share on Facebook"),
    "whatsapp": _("Share on WhatsApp"),
    "email": _("Share by e-mail"),
    "sms": _("Share by SMS"),
}


def _subject_from(text: str, limit: int = 80) -> str:
    """An e-mail subject from a share text: its first sentence, or its words up to `limit`, never half a word."""
    first = text.strip().split("\n", 1)[0]
    for end in ".!?":
        if end in first[: limit + 1]:
            first = first[: first.index(end) + 1]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def intent_url(channel: str, *, text: str, url: str, subject: str = "") -> str:
    """The address that opens a channel with the text and the link filled in."""
    both = f"{text} {url}".strip()
    if channel == "x":
        return f"https://x.com/intent/tweet?text={quote(text)}&url={quote(url, safe='')}"
    if channel == "linkedin":
        return f"https://www.linkedin.com/sharing/share-offsite/?url={quote(url, safe='')}"
    if channel == "facebook":
        return f"https://www.facebook.com/sharer/sharer.php?u={quote(url, safe='')}"
    if channel == "whatsapp":
        return f"https://wa.me/?text={quote(both)}"
    if channel == "email":
        return f"mailto:?subject={quote(subject or _subject_from(text))}&body={quote(text + chr(10) + chr(10) + url)}"
    if channel == "sms":
        return f"sms:?&body={quote(both)}"
    return url


def clean_new_target(target: str, *, request_host: str = "") -> str:
    """clean_target for a new message: a path on this site must also be a page the site has."""
    target = clean_target(target, request_host=request_host)
    if target.startswith("/"):
        try:
            resolve(urlsplit(target).path)
        except Resolver404:
            raise ValidationError(
                _("There is no page at %(path)s on this site. Copy the address from your browser.")
                % {"path": urlsplit(target).path},
                code="no_such_page",
            ) from None
    return target
