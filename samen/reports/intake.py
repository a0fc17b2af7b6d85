"""How inbound messages become reports. Registered with the messaging router at start-up.

A map takes
- an SMS sent to its own `sms_number`, whatever the first word (asked before any feature's
  keywords; maps that share a number are told apart by their keywords; a gateway that does not
  say which number a text went to, like FrontlineSMS, stands for its channel's `config["number"]`);
- an SMS on any other number whose first word is its `sms_keyword` (any case, "#" before it or
  punctuation after it allowed; the keyword and that punctuation are left out of the text);
- an e-mail sent to its `email_address` (To, Cc or the envelope recipient);
and only when its `channels` include "sms" or "email". What no map takes, and no other feature
wants, stays with messaging as a message waiting for a person: the coordinators see it in the
inbox of messages that match no map (`views/inbox.py`, who sees what in `unmatched.py`).

This runs in messaging's routing task (`samen.messaging.tasks.route`), after the gateway's
webhook has stored the raw message and answered; nothing here makes a provider wait.

The message becomes a report through `actions.create_report`, which keeps one report per gateway
message id and one per sender and text within the map's duplicate window, so retry storms and
resent texts make no copies (and a routing task that runs twice makes none either). The map's
`auto_reply` ({number} is the report's number) is queued for the same gateway and channel, once
per report: SMSSync hands it to the phone on its next poll, the other gateways send it from the
deliver task. Pictures and attachments are fetched by a task of their own after commit, so a
slow media server never holds up routing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext

from samen.core.countries import country_of_number
from samen.core.scrub import scrub_contacts
from samen.messaging import router
from samen.messaging.gateways import Gateway, TransportError, UnknownGateway, get_gateway
from samen.messaging.models import InboundMessage
from samen.messaging.outbox import queue

from .actions import create_report
from .models import Attachment, Report, ReportMap

logger = logging.getLogger(__name__)

ROUTE = "reports.intake"
KEYWORD_ROUTE = "reports.keyword"
TITLE_WORDS = 8
TITLE_CHARS = 80
# A gateway id that does not fit Report.external_id is replaced by its hash: still one per message.
EXTERNAL_ID_CHARS = 100
# Numbers are compared on their last nine digits when both are that long, so "+254 700 000 001",
# "254700000001" and "0700000001" are one number; short codes must match exactly.
NUMBER_TAIL = 9
_MATCH_ATTRIBUTE = "_reports_intake_match"
# The first word of a text, allowing a "#" before it; it must end where the letters and digits do.
_FIRST_WORD = re.compile(r"\s*#?([^\W_]+)(?![\w])")
# What people put between a keyword and their text: "FLOOD: …", "flood - …", "FLOOD,…", "Maji!! …".
_AFTER_KEYWORD = re.compile(r"^[\s:;,.!?|/*=>~_–—-]+")


@dataclass(frozen=True)
class Match:
    report_map: ReportMap
    text: str


def _gateway(message: InboundMessage) -> Gateway | None:
    try:
        return get_gateway(message.gateway, message.channel)
    except UnknownGateway:
        return None


def _digits(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return digits[2:] if digits.startswith("00") else digits


def _same_number(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if len(a) >= NUMBER_TAIL and len(b) >= NUMBER_TAIL:
        return a[-NUMBER_TAIL:] == b[-NUMBER_TAIL:]
    return a == b


def split_keyword(text: str) -> tuple[str, str]:
    """The text's first word in upper case (no leading "#") and the text after it.

    People write a keyword many ways: "FLOOD: water rising", "flood - water", "FLOOD,water",
    "#flood water", "Flood!". The punctuation between the keyword and the text goes with the
    keyword, so the title never starts with ": ". A first word that runs on into letters
    ("Flooding") is a different word. Returns ("", text) when the text starts with no word.
    """
    found = _FIRST_WORD.match(text)
    if found is None:
        return "", text.strip()
    return found.group(1).upper(), _AFTER_KEYWORD.sub("", text[found.end() :], count=1).strip()


def text_after_keyword(text: str, keyword: str) -> str | None:
    """`text` without `keyword` at its start (any case, any punctuation after it), or None."""
    word, rest = split_keyword(text)
    return rest if keyword and word == keyword.strip().upper() else None


def _recipient_number(message: InboundMessage) -> str:
    # FrontlineSMS says nothing about the number a text went to; its channel's configured number
    # (`config["number"]`, as reports.notify uses for sending) stands in for it.
    number = _digits(message.recipient)
    if not number and message.channel_id is not None and message.channel is not None:
        number = _digits(str((message.channel.config or {}).get("number") or ""))
    return number


def maps_with_number(number: str):
    """The maps whose own SMS number is `number` (digits), compared as `_same_number` does."""
    if not number:
        return []
    # Compared in Python: a number typed in the admin may hold spaces or dashes ("0700 000-001").
    candidates = ReportMap.objects.exclude(sms_number="").order_by("pk")
    return [m for m in candidates if _same_number(_digits(m.sms_number), number)]


def find_map(message: InboundMessage, *, by_keyword: bool = True) -> Match | None:
    """The map that takes this message, and the text that makes the report.

    With `by_keyword=False` only the number or address the message was sent to counts.
    """
    gateway = _gateway(message)
    medium = gateway.medium if gateway else ""
    if medium == "sms":
        return _find_sms_map(message, by_keyword=by_keyword)
    if medium == "email":
        return _find_email_map(message)
    return None


def _find_sms_map(message: InboundMessage, *, by_keyword: bool) -> Match | None:
    body = message.body.strip()
    word, rest = split_keyword(body)
    own = maps_with_number(_recipient_number(message))
    if own:
        # A text to a map's own number is that map's, whatever its first word. Maps that share a
        # number are told apart by their keywords; with none of theirs, a map that has no number
        # of its own may still claim it by keyword, below.
        keyed = [m for m in own if word and m.sms_keyword.upper() == word]
        if keyed:
            chosen, text = keyed[0], rest
        elif len(own) == 1:
            chosen, text = own[0], body
        else:
            return _find_keyword_map(word, rest, numberless_only=True) if by_keyword else None
        # A map whose SMS is switched off takes nothing, and its number sends nothing elsewhere:
        # the text waits in the inbox of the map's coordinators.
        return Match(chosen, text) if chosen.accepts(ReportMap.Channel.SMS) else None
    return _find_keyword_map(word, rest) if by_keyword else None


def _find_keyword_map(word: str, rest: str, *, numberless_only: bool = False) -> Match | None:
    if not word:
        return None
    maps = ReportMap.objects.filter(sms_keyword__iexact=word).order_by("pk")
    if numberless_only:
        maps = maps.filter(sms_number="")
    candidates = [m for m in maps if m.accepts(ReportMap.Channel.SMS)]
    # A map without a number of its own is the one a keyword on a shared number is for; failing
    # that, one map with the keyword. Two that could both claim it leave it to a person.
    numberless = [m for m in candidates if not m.sms_number]
    chosen = numberless if numberless else candidates
    return Match(chosen[0], rest) if len(chosen) == 1 else None


def _find_email_map(message: InboundMessage) -> Match | None:
    addresses = {address.strip().lower() for address in message.recipient.split(",") if "@" in address}
    if not addresses:
        return None
    query = Q()
    for address in addresses:
        query |= Q(email_address__iexact=address)
    for report_map in ReportMap.objects.filter(query).order_by("pk"):
        if report_map.accepts(ReportMap.Channel.EMAIL):
            return Match(report_map, message.body.strip())
    return None


def _wants(message: InboundMessage, match: Match | None) -> bool:
    if match is None:
        return False
    gateway = _gateway(message)
    if not match.text and not message.subject and not (gateway and gateway.media(message)):
        # Nothing to report (a bare keyword, an empty text): leave it for a person to look at.
        return False
    # The router hands the same object to the handler; keep the look-up rather than repeat it.
    setattr(message, _MATCH_ATTRIBUTE, match)
    return True


def _matches_own_address(message: InboundMessage) -> bool:
    """Asked before the router's keywords: sent to a map's own number or address."""
    return _wants(message, find_map(message, by_keyword=False))


def _matches(message: InboundMessage) -> bool:
    return _wants(message, find_map(message))


def title_from(text: str) -> str:
    """The first words of the first line; "…" says there is more."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    words = lines[0].split()
    title = " ".join(words[:TITLE_WORDS])
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0] or title[:TITLE_CHARS]
    shortened = title != " ".join(words) or len(lines) > 1
    return f"{title}…" if shortened else title


def external_id_for(message: InboundMessage) -> str:
    key = message.idempotency_key
    if len(key) <= EXTERNAL_ID_CHARS:
        return key
    return f"{message.gateway}:#{hashlib.sha256(key.encode()).hexdigest()}"[:EXTERNAL_ID_CHARS]


def handle(message: InboundMessage) -> Report:
    match = getattr(message, _MATCH_ATTRIBUTE, None) or find_map(message)
    if match is None:
        raise LookupError("no report map takes this message any more")
    return make_report(message, match.report_map, match.text)


def text_for(message: InboundMessage, report_map: ReportMap) -> str:
    """The report's text when a person puts the message on `report_map`: the map's keyword cut."""
    body = message.body.strip()
    after = text_after_keyword(body, report_map.sms_keyword)
    return body if after is None else after


def make_report(
    message: InboundMessage,
    report_map: ReportMap,
    text: str,
    *,
    actor=None,
    title: str = "",
) -> Report:
    """The report the message becomes on `report_map` (one per message and map), with the auto-reply.

    The router calls this with the map it found; a coordinator's inbox with the map they chose
    (`actor`) and, if they wrote one, their own title.
    """
    gateway = _gateway(message)
    if gateway is None:
        raise LookupError(f"no gateway {message.gateway!r} for this message")
    source = Report.Source.EMAIL if gateway.medium == "email" else Report.Source.SMS

    if not title:
        # From the scrubbed text: cut at eight words, a number the text loses could survive in halves.
        region = report_map.country or country_of_number(message.sender) or None
        title = title_from(scrub_contacts(text, region=region))
        if source == Report.Source.EMAIL and message.subject:
            title = message.subject
    if not title:
        title = gettext("Report by e-mail") if source == Report.Source.EMAIL else gettext("Report by SMS")
    sent_at = gateway.sent_at(message)
    # A phone with a wrong clock must not file a report in the future.
    event_at = min(sent_at, timezone.now()) if sent_at else message.received_at

    report, created = create_report(
        report_map,
        source=source,
        external_id=external_id_for(message),
        reporter_contact=message.sender,
        title=title,
        description=text,
        inbound=message,
        event_at=event_at,
        actor=actor,
    )
    if created and gateway.media(message):
        report_id, inbound_id = report.pk, message.pk
        transaction.on_commit(lambda: attach_media.enqueue(report_id, inbound_id))
    if report_map.auto_reply and message.sender and gateway.auto_reply_allowed(message):
        subject = ""
        if source == Report.Source.EMAIL:
            subject = f"Re: {message.subject}" if message.subject else gettext("Your report")
        queue(
            message.gateway,
            message.sender,
            report_map.auto_reply.replace("{number}", str(report.pk)),
            # One answer per report: a resent text or a retry storm gets no second reply.
            key=f"reports.auto_reply:{report.pk}",
            subject=subject,
            channel=message.channel,
            in_reply_to=message,
        )
    return report


@task
def attach_media(report_id: int, inbound_id: int) -> int:
    """Download the message's pictures and attachments and keep them with the report.

    Safe to run twice: each file is looked for (by name and checksum) under a lock on the report
    row before it is stored. Returns how many files were added.
    """
    message = InboundMessage.objects.select_related("channel").filter(pk=inbound_id).first()
    gateway = _gateway(message) if message else None
    if message is None or gateway is None or not Report.objects.filter(pk=report_id).exists():
        return 0
    added = 0
    for media in gateway.media(message):
        try:
            content = gateway.fetch_media(media)
        except TransportError as exc:
            # The raw message keeps the reference, so a reviewer can still find the original.
            logger.warning("report %s: could not fetch %s: %s", report_id, media.name, exc.message)
            continue
        if len(content) > settings.SAMEN_MAX_UPLOAD_BYTES:
            logger.warning("report %s: %s is larger than the upload limit; not kept", report_id, media.name)
            continue
        checksum = hashlib.sha256(content).hexdigest()
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if Attachment.objects.filter(
                report=report, sha256=checksum, original_name=media.name[:255]
            ).exists():
                continue
            attachment = Attachment(
                report=report,
                content_type=media.content_type[:100],
                size=len(content),
                original_name=media.name[:255],
                source_url=media.url[:1000],
                sha256=checksum,
            )
            attachment.file.save(media.name[-80:] or "attachment", ContentFile(content), save=False)
            attachment.save()
            added += 1
    return added


# Two routes with one handler: a map's own number or address is asked before any feature's
# keywords (JOIN to a map's number is a report), a map's keyword on a shared number after them.
router.register_route(ROUTE, _matches_own_address, handle, before_keywords=True)
router.register_route(KEYWORD_ROUTE, _matches, handle)
