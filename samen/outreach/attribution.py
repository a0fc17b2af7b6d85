"""What the feature apps call to track links and record conversions (the outreach contract).

Feature apps (plans, volunteering, giving, reports) sit above outreach and call only these functions;
outreach never imports them. The signatures are the contract; see docs/outreach.md for the behaviour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from samen.initiatives.models import Initiative
    from samen.people.models import Member

logger = logging.getLogger(__name__)

# Conversion kinds the dashboards count.
SIGNUP = "signup"
DONATION = "donation"
VOLUNTEER_JOIN = "volunteer_join"
HOURS = "hours"
REACTION = "reaction"
REPORT = "report"
CONVERSION_KINDS = (SIGNUP, DONATION, VOLUNTEER_JOIN, HOURS, REACTION, REPORT)

SHARE_CHANNELS = ("x", "linkedin", "facebook", "whatsapp", "email", "sms")

# A touch older than this, counted back from the conversion, no longer earns it.
ATTRIBUTION_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class ShareLink:
    channel: str  # one of SHARE_CHANNELS
    label: str  # translated, e.g. "Share on LinkedIn"
    url: str  # the intent URL that opens the channel with the text and the short link filled in
    short_url: str  # the absolute tracked short link (/l/<code>) for this channel
    text: str = ""  # what to post on this channel (LinkedIn and Facebook take it pasted, not filled in)


def tracked_url(
    request: HttpRequest | None,
    *,
    target: str,
    channel: str,
    subject: Any = None,
    promoter: Member | None = None,
    variant: Any = None,
    recipient: str = "",
    recipient_member: Member | None = None,
) -> str:
    """The absolute tracked short link (https://host/l/<code>) that redirects to `target`.

    `target` is a path on this site (or an allow-listed URL). The same arguments give the same link.
    `subject` is what the link is about (an Initiative or any other model instance, such as a campaign).
    `recipient` (an address) makes a link for one person, so that a click traces back to them.
    Raises django.core.exceptions.ValidationError for a target off the site (no open redirects).
    Without a request (a background task) the link is built on settings.SITE_URL.
    """
    from . import links

    codes = links.link_codes(
        target=target,
        channels=[channel],
        subject=subject,
        promoter=promoter,
        variant=variant,
        recipient=recipient,
        recipient_member=recipient_member,
        request_host=request.get_host() if request is not None else "",
    )
    return links.absolute(request, links.short_path(codes[channel]))


def share_links(
    request: HttpRequest | None,
    *,
    target: str,
    text: str,
    subject: Any = None,
    promoter: Member | None = None,
    variant: Any = None,
    email_subject: str = "",
) -> list[ShareLink]:
    """One ShareLink per channel in SHARE_CHANNELS, each with its own tracked short link."""
    from . import links

    codes = links.link_codes(
        target=target,
        channels=SHARE_CHANNELS,
        subject=subject,
        promoter=promoter,
        variant=variant,
        request_host=request.get_host() if request is not None else "",
    )
    result = []
    for channel in SHARE_CHANNELS:
        short = links.absolute(request, links.short_path(codes[channel]))
        channel_text = (
            variant.text_for(channel) if variant is not None and hasattr(variant, "text_for") else text
        )
        result.append(
            ShareLink(
                channel,
                str(links.LABELS[channel]),
                links.intent_url(channel, text=channel_text, url=short, subject=email_subject),
                short,
                channel_text,
            )
        )
    return result


def touch_ids(request: HttpRequest) -> list[int]:
    """The touches this visitor's session carries (first and last), for storing on a pending row.

    A donation that completes later in a provider webhook has no request: store these ids on the
    donation when it is created and pass them to record_conversion() when it succeeds. A signed-in
    member whose browser carries none gets the touches stored on their account.
    """
    from . import tracking

    ids = tracking.read_cookie(request).touch_ids()
    if ids:
        return ids
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _member_touch_ids(user.pk)
    return []


def _member_touch_ids(member_id: int) -> list[int]:
    from .models import MemberTouches

    row = (
        MemberTouches.objects.filter(member_id=member_id)
        .values_list("first_touch_id", "last_touch_id")
        .first()
    )
    return [pk for pk in dict.fromkeys(row or ()) if pk]


def record_conversion(
    *,
    kind: str,
    source: str,
    source_ref: str,
    request: HttpRequest | None = None,
    member: Member | None = None,
    touch_ids: list[int] | tuple[int, ...] = (),
    initiative: Initiative | None = None,
    amount_minor: int = 0,
    currency: str = "",
    minutes: int = 0,
    occurred_at: Any = None,
) -> Any:
    """Record that something worth counting happened (kind in CONVERSION_KINDS).

    Idempotent on (source, source_ref): calling it twice records once. Attributed to the touches in
    `touch_ids`, else those in the request's session, else those stored on `member` (weeks later too),
    as first touch and as last touch. Never raises for a conversion that has no touch: it is simply
    not attributed. Returns the Conversion (or None when it could not be stored; that is logged).

    Callers call it inside their own transaction (a donation's): it runs in a savepoint, so that a
    database error here is undone alone and never aborts theirs (on PostgreSQL an error leaves the
    whole transaction unusable unless a savepoint takes it).
    """
    from django.db import transaction

    try:
        with transaction.atomic():
            return _record(
                kind=kind,
                source=source,
                source_ref=str(source_ref),
                request=request,
                member=member,
                touch_ids=touch_ids,
                initiative=initiative,
                amount_minor=amount_minor,
                currency=currency,
                minutes=minutes,
                occurred_at=occurred_at,
            )
    except Exception:
        # Measuring must never break the thing being measured (a donation, a sign-up).
        logger.exception("could not record the %s conversion %s:%s", kind, source, source_ref)
        return None


def _record(
    *,
    kind,
    source,
    source_ref,
    request,
    member,
    touch_ids,
    initiative,
    amount_minor,
    currency,
    minutes,
    occurred_at,
):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from . import tracking
    from .models import Conversion, Touch

    if kind not in CONVERSION_KINDS:
        raise ValueError(f"unknown conversion kind {kind!r}")
    existing = Conversion.objects.filter(source=source, source_ref=source_ref).first()
    if existing is not None:
        return existing
    occurred_at = occurred_at or timezone.now()
    if member is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            member = user
    ids = [int(pk) for pk in touch_ids if pk]
    if not ids and request is not None:
        ids = tracking.read_cookie(request).touch_ids()
    if not ids and member is not None:
        ids = _member_touch_ids(member.pk)
    touches = {
        touch.pk: touch
        for touch in Touch.objects.filter(
            pk__in=ids, at__lte=occurred_at + timedelta(minutes=5), at__gte=occurred_at - ATTRIBUTION_WINDOW
        ).only("pk", "message_id", "variant_id", "channel", "promoter_id", "visitor", "at")
    }
    found = [touches[pk] for pk in ids if pk in touches]
    found.sort(key=lambda touch: (touch.at, touch.pk))
    first = found[0] if found else None
    last = found[-1] if found else None
    try:
        with transaction.atomic():
            return Conversion.objects.create(
                kind=kind,
                source=source[:60],
                source_ref=source_ref[:100],
                member=member,
                initiative=initiative,
                amount_minor=max(int(amount_minor or 0), 0),
                currency=(currency or "").upper()[:3],
                minutes=max(int(minutes or 0), 0),
                occurred_at=occurred_at,
                first_touch=first,
                last_touch=last,
                **_copied(last, ""),
                **_copied(first, "first_"),
            )
    except IntegrityError:
        # Recorded at the same moment by another request or a retried webhook.
        return Conversion.objects.filter(source=source, source_ref=source_ref).first()


def withdraw_conversion(*, source: str, source_ref: str) -> bool:
    """What converted was taken back (a refunded gift): it no longer counts on any dashboard.

    Idempotent: True only for the call that removed it. Like record_conversion it runs in a
    savepoint and never raises: a refund must not fail for the sake of a dashboard (it is logged).
    """
    from django.db import transaction

    from .models import Conversion

    try:
        with transaction.atomic():
            deleted, _ = Conversion.objects.filter(source=source[:60], source_ref=source_ref[:100]).delete()
    except Exception:
        logger.exception("could not withdraw the conversion %s:%s", source, source_ref)
        return False
    return bool(deleted)


def _copied(touch, prefix: str) -> dict:
    if touch is None:
        return {}
    return {
        f"{prefix}message_id": touch.message_id,
        f"{prefix}variant_id": touch.variant_id,
        f"{prefix}channel": touch.channel,
        f"{prefix}promoter_id": touch.promoter_id,
        f"{prefix}visitor": touch.visitor,
    }
