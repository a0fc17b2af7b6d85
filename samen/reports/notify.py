"""Who hears about a published report, and how: subscriptions (e-mail, SMS) and outbound webhooks.

Subscriptions are double opt-in. An e-mail subscription is confirmed by a link sent to the address;
an SMS subscription by a six-digit code sent to the number and typed back on the page. Only a
confirmed, not unsubscribed subscription ever gets a report. Every message carries a link that
unsubscribes at once, without logging in. STOP by SMS (or any opt-out) ends them too: messaging
handles it for every feature and reports listens (see `on_opted_out`).

Webhooks: each published report is POSTed as JSON, signed with HMAC-SHA256 over the timestamp and
the exact body (docs/webhooks.md says exactly what is signed). `verify_signature` is what a receiver
written in Python can use as is.

The tasks that do the sending are in tasks.py; this module holds the rules they and the views share.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from samen.core import http
from samen.core.access import Role
from samen.messaging import optout, outbox
from samen.messaging.models import Channel, OptOut
from samen.people.forms import normalise_phone

from .access import map_role
from .clustering import BBox
from .models import Category, Report, ReportMap, Subscription, Webhook, WebhookDelivery

# --- Subscriptions ---------------------------------------------------------------------------

CODE_DIGITS = 6
# Six digits and five tries: a guesser has one chance in 200,000 per pending subscription.
MAX_CODE_ATTEMPTS = 5
# A confirmation nobody acts on expires; so does its code.
CONFIRM_WITHIN = timedelta(days=2)
# Confirmation messages per address per day: enough for typos, too few to flood someone's inbox or phone.
MAX_REQUESTS_PER_ADDRESS = 3


class SubscriptionRefused(Exception):
    """A subscription request that must not go ahead; `message` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def normalise_address(channel: str, address: str) -> str:
    """The address as stored: e-mail in lower case, phone numbers in E.164. Raises ValidationError."""
    address = (address or "").strip()
    if channel == Subscription.Channel.SMS:
        return normalise_phone(address)
    from django.core.validators import validate_email

    validate_email(address)
    return address.lower()


def sms_channel_for(report_map: ReportMap) -> Channel | None:
    """The SMS gateway channel this map's texts go out on, or None when it has none.

    First an enabled channel configured with the map's number (`config["number"]`); failing that,
    the channel the map's latest SMS report came in on, since that gateway demonstrably reaches the
    map's people. E-mail channels never count.
    """
    channels = Channel.objects.filter(enabled=True).exclude(kind="email")
    if report_map.sms_number:
        by_number = channels.filter(config__number=report_map.sms_number).order_by("pk").first()
        if by_number is not None:
            return by_number
    latest = (
        Report.objects.filter(report_map=report_map, inbound__channel__in=channels)
        .order_by("-created_at")
        .values_list("inbound__channel", flat=True)
        .first()
    )
    return channels.filter(pk=latest).first() if latest else None


def offered_channels(report_map: ReportMap) -> list[str]:
    """E-mail always; SMS only when the map has a gateway to send the code and the reports through."""
    offered = [Subscription.Channel.EMAIL.value]
    if report_map.accepts("sms") and sms_channel_for(report_map) is not None:
        offered.append(Subscription.Channel.SMS.value)
    return offered


def sms_code(subscription: Subscription) -> str:
    """The confirmation code for an SMS subscription.

    Derived from the secret token with the site's key rather than stored: nothing to leak from the
    table, and it cannot drift from the token it belongs to.
    """
    digest = salted_hmac(
        "samen.reports.subscription.sms-code", subscription.token, algorithm="sha256"
    ).hexdigest()
    return str(int(digest, 16) % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def confirm_url(subscription: Subscription) -> str:
    return absolute(
        reverse("reports:subscription_confirm", args=[subscription.report_map.slug, subscription.token])
    )


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute(reverse("reports:unsubscribe", args=[subscription.report_map.slug, subscription.token]))


def request_subscription(
    report_map: ReportMap,
    *,
    channel: str,
    address: str,
    categories: Iterable[Category] = (),
    bbox: BBox | None = None,
    member=None,
    language: str | None = None,
) -> Subscription:
    """Store a pending subscription and send its confirmation (a link by e-mail, a code by SMS).

    `address` must already be normalised. Raises SubscriptionRefused when the address has had too
    many confirmations today, or when the map cannot send SMS.
    """
    if channel not in offered_channels(report_map):
        raise SubscriptionRefused(gettext("This map cannot send SMS. Subscribe by e-mail instead."))
    since = timezone.now() - timedelta(days=1)
    recent = Subscription.objects.filter(channel=channel, address=address, created_at__gte=since).count()
    if recent >= MAX_REQUESTS_PER_ADDRESS:
        raise SubscriptionRefused(
            gettext("We already sent several confirmations to this address today. Please try again tomorrow.")
        )
    if optout.is_opted_out(address, "sms" if channel == Subscription.Channel.SMS else "email"):
        # The confirmation would be suppressed and the person left waiting: say why instead.
        if channel == Subscription.Channel.SMS:
            raise SubscriptionRefused(
                gettext(
                    "This number asked for no more messages (STOP). Text START to us first, then subscribe."
                )
            )
        raise SubscriptionRefused(gettext("This address asked for no more messages from Samen."))
    with transaction.atomic():
        subscription = Subscription.objects.create(
            report_map=report_map,
            channel=channel,
            address=address,
            member=member if getattr(member, "is_authenticated", False) else None,
            language=(language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0],
            **(_edges(bbox) if bbox else {}),
        )
        subscription.categories.set(list(categories))
        _send_confirmation(subscription)
    return subscription


def _edges(bbox: BBox) -> dict[str, Decimal]:
    # The columns keep six decimals, about 10 cm: plenty for an area.
    places = Decimal("0.000001")
    return {
        name: Decimal(str(getattr(bbox, name))).quantize(places)
        for name in ("south", "west", "north", "east")
    }


def _send_confirmation(subscription: Subscription) -> None:
    key = f"report-subscription:{subscription.pk}:confirm"
    report_map = subscription.report_map
    with translation.override(subscription.language):
        if subscription.channel == Subscription.Channel.SMS:
            channel = sms_channel_for(report_map)
            if channel is None:
                raise SubscriptionRefused(gettext("This map cannot send SMS. Subscribe by e-mail instead."))
            body = gettext(
                "%(code)s is your code to confirm alerts from %(map)s. If you did not ask for them, ignore this."
            ) % {"code": sms_code(subscription), "map": Truncator(report_map.title).chars(40)}
            outbox.queue(channel.kind, subscription.address, body, key=key, channel=channel)
            return
        context = {
            "report_map": report_map,
            "confirm_url": confirm_url(subscription),
            "map_url": absolute(report_map.get_absolute_url()),
            "hours": int(CONFIRM_WITHIN.total_seconds() // 3600),
        }
        subject = Truncator(gettext("Confirm alerts from %(map)s") % {"map": report_map.title}).chars(200)
        outbox.send_email(
            subscription.address,
            subject,
            render_to_string("reports/email/confirm.txt", context),
            key=key,
            html_body=render_to_string("reports/email/confirm.html", context),
            member=subscription.member,
        )


def is_pending(subscription: Subscription) -> bool:
    """Waiting for confirmation, and still in time for it."""
    return (
        subscription.confirmed_at is None
        and subscription.unsubscribed_at is None
        and subscription.created_at > timezone.now() - CONFIRM_WITHIN
        and subscription.confirm_attempts < MAX_CODE_ATTEMPTS
    )


def confirm(subscription: Subscription) -> bool:
    """Start sending to a pending subscription. Returns False when it was not pending.

    The confirmed subscription replaces any earlier one for the same address on the same map, so
    that changing one's area or categories never means getting each report twice.
    """
    if not is_pending(subscription):
        return False
    now = timezone.now()
    with transaction.atomic():
        claimed = Subscription.objects.filter(
            pk=subscription.pk, confirmed_at__isnull=True, unsubscribed_at__isnull=True
        ).update(confirmed_at=now)
        if claimed != 1:
            return False
        Subscription.objects.filter(
            report_map_id=subscription.report_map_id,
            channel=subscription.channel,
            address=subscription.address,
            unsubscribed_at__isnull=True,
        ).exclude(pk=subscription.pk).update(unsubscribed_at=now)
    subscription.confirmed_at = now
    return True


def confirm_with_code(subscription: Subscription, code: str) -> bool:
    """Confirm an SMS subscription with the code that was texted. Every wrong try counts."""
    if not is_pending(subscription):
        return False
    typed = "".join((code or "").split())
    if hmac.compare_digest(typed, sms_code(subscription)):
        return confirm(subscription)
    # Counted in the database, not in the session, so that a guesser cannot start over.
    Subscription.objects.filter(pk=subscription.pk).update(confirm_attempts=F("confirm_attempts") + 1)
    subscription.confirm_attempts += 1
    return False


def unsubscribe(subscription: Subscription) -> None:
    if subscription.unsubscribed_at is None:
        now = timezone.now()
        Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        subscription.unsubscribed_at = now


def resubscribe(subscription: Subscription) -> bool:
    """Undo an unsubscribe (a mistaken click). Only a confirmed subscription comes back, and only
    when no newer one for the same address has replaced it."""
    if subscription.confirmed_at is None or subscription.unsubscribed_at is None:
        return False
    newer = Subscription.objects.filter(
        report_map_id=subscription.report_map_id,
        channel=subscription.channel,
        address=subscription.address,
        confirmed_at__gt=subscription.confirmed_at,
    ).exists()
    if newer:
        return False
    Subscription.objects.filter(pk=subscription.pk).update(unsubscribed_at=None)
    subscription.unsubscribed_at = None
    return True


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def stop_number(number: str) -> int:
    """Unsubscribe every SMS subscription of `number`, on every map. Returns how many stopped."""
    digits = _digits(number)
    if not digits:
        return 0
    # Gateways send the number with or without "+"; subscriptions store E.164.
    return Subscription.objects.filter(
        channel=Subscription.Channel.SMS, address__in={f"+{digits}", digits}, unsubscribed_at__isnull=True
    ).update(unsubscribed_at=timezone.now())


def on_opted_out(sender, *, address: str, medium: str, **kwargs) -> None:
    """Receiver of messaging's `opted_out`: an address that opted out gets no more report alerts.

    Messaging owns STOP (the keyword, the answer, and refusing every later message); this only
    ends the subscriptions, on every map, so that the subscription pages say what is true.
    """
    if medium == OptOut.Medium.SMS:
        stop_number(address)
    elif medium == OptOut.Medium.EMAIL:
        Subscription.objects.filter(
            channel=Subscription.Channel.EMAIL, address=address.lower(), unsubscribed_at__isnull=True
        ).update(unsubscribed_at=timezone.now())


def category_with_ancestors(report: Report) -> set[int]:
    """The report's categories and every category above them: a subscription to "Emergency" wants
    reports filed under its child "Broken water point"."""
    parents = dict(Category.objects.filter(report_map_id=report.report_map_id).values_list("pk", "parent_id"))
    found: set[int] = set()
    for pk in report.categories.values_list("pk", flat=True):
        current: int | None = pk
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return found


def matching_subscriptions(report: Report) -> QuerySet[Subscription]:
    """Confirmed, active subscriptions on the report's map whose area and categories take it."""
    subscriptions = Subscription.objects.filter(
        report_map_id=report.report_map_id, confirmed_at__isnull=False, unsubscribed_at__isnull=True
    )
    whole_map = Q(south__isnull=True)
    if report.has_coordinates:
        latitude, longitude = report.latitude, report.longitude
        # West greater than east is an area across the antimeridian (as in clustering.BBox).
        across = Q(west__gt=F("east")) & (Q(west__lte=longitude) | Q(east__gte=longitude))
        along = Q(west__lte=F("east")) & Q(west__lte=longitude, east__gte=longitude)
        subscriptions = subscriptions.filter(
            whole_map | (Q(south__lte=latitude, north__gte=latitude) & (along | across))
        )
    else:
        # A report without a place is in nobody's area; it goes only to whole-map subscriptions.
        subscriptions = subscriptions.filter(whole_map)
    through = Subscription.categories.through
    chose_categories = Exists(through.objects.filter(subscription_id=OuterRef("pk")))
    chose_one_of_these = Exists(
        through.objects.filter(
            subscription_id=OuterRef("pk"), category_id__in=category_with_ancestors(report)
        )
    )
    return subscriptions.filter(~chose_categories | chose_one_of_these).select_related("member")


def is_public(report_map: ReportMap) -> bool:
    return report_map.visibility == ReportMap.Visibility.PUBLIC and report_map.initiative.status != "draft"


def may_receive(subscription: Subscription, report_map: ReportMap) -> bool:
    """A private map's reports go only to its team and reviewers, even if the map was public when
    they subscribed."""
    return is_public(report_map) or (
        subscription.member is not None and map_role(subscription.member, report_map) >= Role.TEAM
    )


def notification_key(report_id: int, subscription_id: int) -> str:
    return f"report:{report_id}:sub:{subscription_id}"


def report_url(report: Report) -> str:
    return absolute(report.get_absolute_url())


def notify(report: Report, subscription: Subscription, *, sms_channel: Channel | None) -> bool:
    """Queue the one message for this report and subscription. Returns False when it cannot go."""
    report_map = report.report_map
    key = notification_key(report.pk, subscription.pk)
    with translation.override(subscription.language):
        if subscription.channel == Subscription.Channel.SMS:
            if sms_channel is None:
                return False
            # Short: one SMS costs a reporter's neighbour money on a prepaid plan.
            body = gettext("%(map)s: %(title)s %(url)s Stop: %(stop)s or reply STOP") % {
                "map": Truncator(report_map.title).chars(30),
                "title": Truncator(report.public_title).chars(60),
                "url": report_url(report),
                "stop": unsubscribe_url(subscription),
            }
            outbox.queue(sms_channel.kind, subscription.address, body, key=key, channel=sms_channel)
            return True
        context = {
            "report": report,
            "report_map": report_map,
            "url": report_url(report),
            "unsubscribe_url": unsubscribe_url(subscription),
            "categories": [category.name for category in report.categories.all()],
        }
        subject = Truncator(
            gettext("%(map)s: %(title)s") % {"map": report_map.title, "title": report.public_title}
        ).chars(200)
        outbox.send_email(
            subscription.address,
            subject,
            render_to_string("reports/email/report.txt", context),
            key=key,
            html_body=render_to_string("reports/email/report.html", context),
            member=subscription.member,
        )
    return True


# --- Webhooks --------------------------------------------------------------------------------

EVENT_PUBLISHED = "report.published"
EVENT_HEADER = "X-Samen-Event"
DELIVERY_HEADER = "X-Samen-Delivery"
TIMESTAMP_HEADER = "X-Samen-Timestamp"
SIGNATURE_HEADER = "X-Samen-Signature"
# How old a delivery may be before a receiver should refuse it as a replay.
SIGNATURE_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def rotate_secret(webhook: Webhook) -> str:
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook.secret


def secret_hint(webhook: Webhook) -> str:
    """Enough of the secret to tell two apart, never enough to sign with."""
    return webhook.secret[:10] + "…"


def check_webhook_url(url: str) -> str:
    """Refuse addresses inside our own network: the name as written and every address it resolves to.

    Deliveries check again when they connect (core.http), so a name that changes its answer after
    it was saved is refused then. SAMEN_HTTP_ALLOWED_HOSTS lets named hosts through.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("Use an http:// or https:// address."), code="scheme")
    try:
        http.check_url(url)
    except http.RefusedDestination:
        raise ValidationError(_("Webhooks cannot go to this server's own network."), code="private") from None
    return url


def webhook_payload(report: Report, event: str = EVENT_PUBLISHED) -> dict:
    """What a receiver gets: the public view of the report, never its reporter or original text."""
    report_map = report.report_map
    return {
        "event": event,
        "id": report.pk,
        "map": {
            "slug": report_map.slug,
            "title": report_map.title,
            "url": absolute(report_map.get_absolute_url()),
        },
        "title": report.public_title,
        "description": report.public_description,
        "event_at": report.event_at.isoformat(),
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "location": {
            "latitude": float(report.latitude) if report.latitude is not None else None,
            "longitude": float(report.longitude) if report.longitude is not None else None,
            "place_name": report.public_place_name,
            "precision": report.location_precision,
        },
        "categories": [
            {"id": category.pk, "title": category.title, "parent": category.parent_id}
            for category in report.categories.all()
        ],
        "source": report.source,
        "verified": report.verified,
        "url": report_url(report),
    }


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=<hex HMAC-SHA256 over "<timestamp>." followed by the body bytes, keyed with the secret>."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, delivery: WebhookDelivery, body: bytes, *, now: float | None = None) -> dict:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify_signature(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `body` and `headers` are a delivery signed with `secret` within `tolerance` seconds.

    `headers` may be any mapping (Django's request.headers, a dict from another framework); names
    are compared without regard to case. `body` must be the raw bytes, before any JSON parsing.
    """
    lowered = {str(name).lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    sent = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isdigit() or not sent.startswith("sha256="):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sent, signature(secret, timestamp, body))
