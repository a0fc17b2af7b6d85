"""Opt-outs: an address that said STOP gets nothing more from Samen, whichever feature asks.

This is messaging's job, not a feature's, so that one STOP covers every feature at once:
- `opt_out(address, medium=...)` records it (idempotent), suppresses what is still queued for the
  address, and sends `signals.opted_out` so features can tidy up (reports ends subscriptions);
- `outbox.queue()` and `send_email()` refuse an opted-out address (the row is stored SUPPRESSED and
  never sent), and the `deliver` task asks again just before sending, so a STOP that arrives after
  a message was queued still wins;
- `opt_in()` is the only way back, and only an explicit request calls it (START or UNSTOP by SMS;
  later, a member switching SMS back on in their profile). Nothing calls it automatically.

The router (router.py) recognises the standard keywords before any feature's keywords, and
features cannot register them. The words are Twilio's documented opt-out and opt-in keywords
(help.twilio.com, "Twilio support for opt-out keywords"; the Advanced Opt-Out guide adds REVOKE
and OPTOUT). Twilio also opts a number back in on YES; Samen does not, because features ask
yes/no questions by SMS and an answer to one of them must never undo a STOP.

As at Twilio, only a message that is nothing but the word counts ("STOP", "stop.", "Stop all").
A message that merely starts with one ("End of the road is flooded", "Cancel my pledge of 5") is
a report or a command for a feature, and treating it as an opt-out would lose it.

Addresses are compared normalised: phone numbers in E.164 (gateways send "+2547…", "2547…" or
"002547…"), e-mail addresses in lower case without a display name.
"""

from __future__ import annotations

import logging
from email.utils import parseaddr

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from samen.messaging import signals
from samen.messaging.gateways import UnknownGateway, get_gateway
from samen.messaging.models import InboundMessage, OptOut, OutboundMessage

logger = logging.getLogger(__name__)

Medium = OptOut.Medium

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
RESERVED_WORDS = OPT_OUT_WORDS | OPT_IN_WORDS

OPT_OUT = "opt-out"
OPT_IN = "opt-in"


def keyword_in(text: str) -> tuple[str, str] | None:
    """(OPT_OUT or OPT_IN, the word) when `text` is nothing but one of the standard words.

    Case, surrounding space, trailing punctuation and a space or hyphen inside ("Stop all",
    "opt-out") are ignored; anything more makes it an ordinary message.
    """
    words = text.split()
    if not 1 <= len(words) <= 2:
        return None
    word = "".join(words).replace("-", "").rstrip(".!?,;:").upper()
    if word in OPT_OUT_WORDS:
        return OPT_OUT, word
    if word in OPT_IN_WORDS:
        return OPT_IN, word
    return None


def medium_for(gateway: str, address: str) -> str:
    """What a gateway carries ("sms", "email"), as the gateway declares it.

    A gateway that declares nothing (the plain e-mail sender, test doubles) is judged by the
    address: with an "@" it is e-mail, otherwise a phone number.
    """
    try:
        declared = get_gateway(gateway).medium
    except UnknownGateway:
        declared = ""
    return declared or (Medium.EMAIL if "@" in address else Medium.SMS)


def provider_answers(message: InboundMessage) -> bool:
    """True when the provider itself answers STOP and START, so Samen must not answer again.

    Twilio does by default on long codes and toll-free numbers: it replies, blocks the number at
    its end and then passes the message on. A second answer from Samen would be refused (error
    21610) or, after START, arrive twice. A gateway class says so with `answers_opt_out_words =
    True`; a channel's `config["answers_opt_out_words"]` overrides it (an account that had
    Twilio switch its handling off, a short code without a Messaging Service).
    """
    config = message.channel.config if message.channel is not None else {}
    if "answers_opt_out_words" in (config or {}):
        return bool(config["answers_opt_out_words"])
    try:
        return bool(getattr(get_gateway(message.gateway), "answers_opt_out_words", False))
    except UnknownGateway:
        return False


def normalise(address: str, medium: str) -> str:
    """The form an address is stored and compared in. Never refuses: a STOP must always be kept."""
    address = (address or "").strip()
    if medium == Medium.EMAIL:
        return (parseaddr(address)[1] or address).lower()
    return _phone(address)


def _phone(text: str) -> str:
    if any(ch.isalpha() for ch in text):
        # An alphanumeric sender ID ("Safaricom"): no number to normalise, compare it as text.
        return text.casefold()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return text
    if text.startswith("00"):
        # The international prefix most of Europe and Africa dial instead of "+".
        digits = digits[2:]
    # Gateways report numbers in international form, with or without the "+"; a national
    # number ("0712…") cannot be placed without guessing a country, so it stays as it came.
    candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return candidate
    if not phonenumbers.is_possible_number(number):
        return candidate
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_medium(medium: str) -> str:
    if medium not in Medium.values:
        raise ValueError(f"medium must be one of {Medium.values}, got {medium!r}")
    return medium


def _active(address: str, medium: str):
    return OptOut.objects.filter(
        address=address, medium=medium, scope=OptOut.Scope.ALL, ended_at__isnull=True
    )


def opted_out_addresses(medium: str):
    """The (normalised) addresses that opted out of `medium`, as a subquery of `address` values."""
    return OptOut.objects.filter(
        medium=_check_medium(medium), scope=OptOut.Scope.ALL, ended_at__isnull=True
    ).values("address")


def is_opted_out(address: str, medium: str) -> bool:
    """True when `address` asked for nothing more on `medium` and has not opted in again."""
    if medium not in Medium.values:
        # Nobody can have opted out of a medium Samen has no opt-outs for.
        return False
    normalised = normalise(address, medium)
    return bool(normalised) and _active(normalised, medium).exists()


def refusal(gateway: str, to: str) -> str:
    """Why a message for `to` through `gateway` must not go out, or "" when it may."""
    medium = medium_for(gateway, to)
    if is_opted_out(to, medium):
        return f"not sent: the recipient opted out of {medium}"
    return ""


def opt_out(
    address: str, *, medium: str, source_message: InboundMessage | None = None, via: str = ""
) -> OptOut:
    """Send nothing more to `address` on `medium`. Returns the active opt-out (idempotent).

    Messages still queued for the address are suppressed at once, then `signals.opted_out` is
    sent (every time, so a repeated STOP also repairs a feature that missed the first one).
    """
    medium = _check_medium(medium)
    normalised = normalise(address, medium)
    if not normalised:
        raise ValueError("an address is required to opt out")
    via = via[: OptOut._meta.get_field("via").max_length]
    with transaction.atomic():
        row = _active(normalised, medium).first()
        if row is None:
            try:
                # Savepoint: two STOPs at once meet at the unique constraint, and the loser
                # must not break the transaction it runs in.
                with transaction.atomic():
                    row = OptOut.objects.create(
                        address=normalised, medium=medium, via=via, source_message=source_message
                    )
                logger.info("%s opted out of %s (%s)", normalised, medium, via or "no reason given")
            except IntegrityError:
                row = _active(normalised, medium).get()
        suppress_queued(normalised, medium)
        _tell_features(normalised, medium, source_message)
    return row


def opt_in(address: str, *, medium: str, source_message: InboundMessage | None = None, via: str = "") -> bool:
    """End the opt-out of `address` on `medium`; True when there was one.

    Only for an explicit request from the person (START, UNSTOP, re-enabling the medium in their
    own profile). The row is kept, with when and how it ended, so the history stays visible.
    """
    medium = _check_medium(medium)
    ended_via = via[: OptOut._meta.get_field("ended_via").max_length]
    ended = _active(normalise(address, medium), medium).update(
        ended_at=timezone.now(), ended_via=ended_via, ended_by_message=source_message
    )
    if ended:
        logger.info("%s opted in to %s again (%s)", normalise(address, medium), medium, via)
    return bool(ended)


def suppress_queued(address: str, medium: str) -> int:
    """Mark messages still queued for a (normalised) address SUPPRESSED; returns how many.

    Queued messages of polled gateways (an SMSSync phone) never pass through the deliver task's
    check, so they have to be stopped here.
    """
    if medium == Medium.EMAIL:
        stored = Q(to__iexact=address) | Q(to__iendswith=f"<{address}>")
    else:
        digits = address.lstrip("+")
        stored = Q(to__in={address, digits, f"+{digits}", f"00{digits}"})
    candidates = OutboundMessage.objects.filter(stored, state=OutboundMessage.State.QUEUED).values_list(
        "pk", "gateway", "to"
    )
    pks = [
        pk
        for pk, gateway, to in candidates
        if medium_for(gateway, to) == medium and normalise(to, medium) == address
    ]
    if not pks:
        return 0
    return OutboundMessage.objects.filter(pk__in=pks, state=OutboundMessage.State.QUEUED).update(
        state=OutboundMessage.State.SUPPRESSED, last_error=f"not sent: the recipient opted out of {medium}"
    )


def _tell_features(address: str, medium: str, source_message: InboundMessage | None) -> None:
    try:
        # One savepoint for all receivers: a failing one must not take the opt-out down with it
        # (nor leave a PostgreSQL transaction aborted under it).
        with transaction.atomic():
            signals.opted_out.send(
                sender=OptOut, address=address, medium=medium, source_message=source_message
            )
    except Exception:
        logger.exception("a receiver of opted_out failed for an opt-out of %s; the opt-out stands", medium)
