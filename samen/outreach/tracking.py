"""What happens when someone follows /l/<code>: tell people from machines, record one touch, remember it.

The visitor's touches travel in a first-party cookie signed by the site (the visitor id, the first
and the last touch, the links already seen), not in the database session: a click then costs one
INSERT and one UPSERT and no session row, the touches survive logging out and in again, and a
forged cookie cannot attribute a donation to someone else's click. No IP address is stored or hashed
with a click; only the click throttle (views._counts) counts by address, in the shared cache, for its
window.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core import signing
from django.db import connection, transaction
from django.utils import timezone

from samen.core.cache import fragments

from .models import DailyCount, MemberTouches, Touch, TrackedLink

COOKIE = "smn_t"
COOKIE_SALT = "samen.outreach.touches"
COOKIE_MAX_AGE = 90 * 24 * 3600
RECENT_LINKS = 40  # how many links a cookie remembers for unique-visitor counting

# Crawlers, link-preview fetchers, monitors and scripts: they never become a touch.
BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|facebookexternalhit|facebookcatalog|meta-externalagent|"
    r"whatsapp|telegram|discord|slack|skypeuripreview|linkedinbot|embedly|pinterest|vkshare|"
    r"preview|mastodon|pleroma|misskey|bluesky|cardyb|iframely|outbrain|quora link|"
    r"curl/|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java/|libwww|"
    r"headlesschrome/.*lighthouse|lighthouse|pingdom|uptime|monitor|validator|ia_archiver|"
    r"bingpreview|google-read-aloud|apis-google|mediapartners|feedfetcher|yandex|baidu|petalsearch|"
    r"semrush|ahrefs|mj12|dotbot|applebot",
    re.IGNORECASE,
)
# The ones that build share previews: they get the card with Open Graph and Twitter metadata.
CARD_BOT = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|linkedinbot|whatsapp|"
    r"telegrambot|slackbot|slack-imgproxy|discordbot|skypeuripreview|pinterest|mastodon|bluesky|"
    r"cardyb|embedly|iframely|vkshare",
    re.IGNORECASE,
)
TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|(android(?!.*mobile))", re.IGNORECASE)
MOBILE = re.compile(
    r"mobi|iphone|ipod|android|blackberry|opera mini|kaios|nokia|windows phone", re.IGNORECASE
)
DESKTOP = re.compile(r"windows nt|macintosh|x11|cros|linux x86_64", re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT.search(user_agent))


def wants_card(user_agent: str) -> bool:
    return bool(CARD_BOT.search(user_agent))


def is_prefetch(request) -> bool:
    """Browsers and proxies that fetch ahead say so (Purpose / Sec-Purpose: prefetch)."""
    for header in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"):
        if "prefetch" in request.headers.get(header, "").lower():
            return True
    return False


def device_of(user_agent: str) -> str:
    if TABLET.search(user_agent):
        return Touch.Device.TABLET
    if MOBILE.search(user_agent):
        return Touch.Device.MOBILE
    if DESKTOP.search(user_agent):
        return Touch.Device.DESKTOP
    return Touch.Device.OTHER


def referrer_host(request) -> str:
    referrer = request.META.get("HTTP_REFERER", "")
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    return host[:100]


# --- The cookie -----------------------------------------------------------------------------------


@dataclass
class Carried:
    visitor: str = ""
    first: int | None = None
    last: int | None = None
    links: tuple[int, ...] = ()

    def touch_ids(self) -> list[int]:
        return [pk for pk in dict.fromkeys((self.first, self.last)) if pk]


_signer = signing.Signer(salt=COOKIE_SALT)


def read_cookie(request) -> Carried:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return Carried()
    try:
        value = _signer.unsign(raw)
        visitor, first, last, links = value.split(":")
        return Carried(
            visitor=visitor,
            first=int(first) if first else None,
            last=int(last) if last else None,
            links=tuple(int(pk) for pk in links.split(".") if pk),
        )
    except (signing.BadSignature, ValueError):
        return Carried()


def write_cookie(response, carried: Carried, *, secure: bool) -> None:
    links = ".".join(str(pk) for pk in carried.links[-RECENT_LINKS:])
    value = _signer.sign(f"{carried.visitor}:{carried.first or ''}:{carried.last or ''}:{links}")
    response.set_cookie(
        COOKIE, value, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure, path="/"
    )


# --- Links, fast ----------------------------------------------------------------------------------

LINK_FIELDS = ("pk", "target", "channel", "message_id", "variant_id", "promoter_id", "initiative_id")


def link_by_code(code: str) -> dict | None:
    """The few columns a click needs, cached: links never change once made."""
    key = f"outreach:code:{code}"
    found = fragments.get(key)
    if found is None:
        row = TrackedLink.objects.filter(code=code).values_list(*LINK_FIELDS, "recipient_member_id").first()
        found = dict(zip((*LINK_FIELDS, "recipient_member_id"), row, strict=True)) if row else {}
        fragments.set(key, found, 300)
    return found or None


_UPSERT = (
    "INSERT INTO outreach_dailycount (day, link_id, message_id, variant_id, channel, promoter_id, "
    "initiative_id, clicks, visitors) VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s) "
    "ON CONFLICT (link_id, day) DO UPDATE SET clicks = outreach_dailycount.clicks + 1, "
    "visitors = outreach_dailycount.visitors + excluded.visitors"
)


def record_touch(request, link: dict) -> tuple[Touch, Carried]:
    """Store one click and return it with what the visitor's cookie should carry from now on."""
    carried = read_cookie(request)
    if not carried.visitor:
        carried.visitor = secrets.token_urlsafe(12)
    new_visitor = link["pk"] not in carried.links
    user = getattr(request, "user", None)
    member_id = user.pk if user is not None and user.is_authenticated else link["recipient_member_id"]
    user_agent = request.headers.get("User-Agent", "")
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A click need not wait for the WAL to reach the disk: after a crash PostgreSQL may lose
            # the last fraction of a second of clicks, never corrupt or half-write one. Only this
            # transaction is affected; conversions and everything else commit as usual.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        touch = Touch.objects.create(
            link_id=link["pk"],
            at=now,
            message_id=link["message_id"],
            variant_id=link["variant_id"],
            channel=link["channel"],
            promoter_id=link["promoter_id"],
            referrer_host=referrer_host(request),
            device=device_of(user_agent),
            visitor=carried.visitor,
            new_visitor=new_visitor,
            member_id=member_id,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                _UPSERT,
                [
                    now.date(),
                    link["pk"],
                    link["message_id"],
                    link["variant_id"],
                    link["channel"],
                    link["promoter_id"],
                    link["initiative_id"],
                    1 if new_visitor else 0,
                ],
            )
        if member_id:
            remember_for_member(member_id, first=touch.pk, last=touch.pk)
    carried.first = carried.first or touch.pk
    carried.last = touch.pk
    if new_visitor:
        carried.links = (*carried.links, link["pk"])[-RECENT_LINKS:]
    return touch, carried


def purge_touches(*, older_than, batch: int = 5000, progress=None) -> int:
    """Delete touches older than `older_than` (a timedelta), oldest first, in batches; how many.

    Touches are written with the time of the click, so they are old in the order of their ids: the
    walk goes up the primary key and stops at the first batch with nothing old left. Conversions and
    stored member touches that pointed at a deleted touch keep their copies and lose the link.
    """
    cutoff = timezone.now() - older_than
    old = Touch.objects.filter(at__lt=cutoff)
    total = old.count()
    deleted = 0
    after = 0
    if progress:
        progress(0, total)
    while True:
        ids = list(old.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            Touch.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        after = ids[-1]
        if progress:
            progress(deleted, max(total, deleted))


def remember_for_member(member_id: int, *, first: int | None, last: int | None) -> None:
    """Keep a member's first touch and move their last one forward."""
    if not (first or last):
        return
    updated = MemberTouches.objects.filter(member_id=member_id).update(
        last_touch_id=last, updated_at=timezone.now()
    )
    if not updated:
        MemberTouches.objects.get_or_create(
            member_id=member_id, defaults={"first_touch_id": first or last, "last_touch_id": last or first}
        )


def rebuild_daily_counts(*, message=None) -> int:
    """Recount DailyCount from the touches (after a bulk load or a repair), for one message or all.

    Returns the rows written.
    """
    from django.db.models import Count, Sum
    from django.db.models.functions import Cast, TruncDate

    with transaction.atomic():
        counts = DailyCount.objects.all()
        touches = Touch.objects.all()
        if message is not None:
            counts, touches = counts.filter(message=message), touches.filter(message=message)
        counts.delete()
        rows = (
            touches.annotate(day=TruncDate("at"))
            .values(
                "day", "link_id", "message_id", "variant_id", "channel", "promoter_id", "link__initiative_id"
            )
            .annotate(clicks=Count("id"), visitors=Sum(Cast("new_visitor", output_field=_int())))
        )
        batch = [
            DailyCount(
                day=row["day"],
                link_id=row["link_id"],
                message_id=row["message_id"],
                variant_id=row["variant_id"],
                channel=row["channel"],
                promoter_id=row["promoter_id"],
                initiative_id=row["link__initiative_id"],
                clicks=row["clicks"],
                visitors=row["visitors"] or 0,
            )
            for row in rows
        ]
        DailyCount.objects.bulk_create(batch, batch_size=1000)
    return len(batch)


def _int():
    from django.db.models import IntegerField

    return IntegerField()
