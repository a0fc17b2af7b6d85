"""Where inbound messages go. Feature apps plug in here; messaging never imports them.

In its AppConfig.ready() a feature app registers
- SMS keywords: `register_keyword("JOIN", handler)` — the first word of the text, any case;
  the handler gets `(message, rest_of_text)`;
- inbound routes: `register_route("reports.email", matcher, handler)` — `matcher(message)` says
  whether the route wants the message, `handler(message)` handles it. Routes are tried in the
  order they were registered, after keywords. A route that claims messages by the number or
  address they were sent to (a report map's own number) registers with `before_keywords=True`:
  what is sent to a feature's own number is that feature's, whatever its first word.

A handler does its work and may queue replies through `samen.messaging.outbox`. Its return
value is ignored. If it raises, the message is marked FAILED with the error and kept.

Before any of that, messaging answers the standard opt-out and opt-in words itself (STOP, QUIT,
START, … see `optout.OPT_OUT_WORDS`): for every feature at once, with one confirmation through
the gateway the word came in on. No feature can register those words. Features hear about an
opt-out through `signals.opted_out`.

`route(message)` is the one entry point, whoever calls it (the inbox, a background task, the
admin's "route again"); it is safe to call twice for the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from samen.messaging import optout, outbox
from samen.messaging.models import InboundMessage

logger = logging.getLogger(__name__)

KeywordHandler = Callable[[InboundMessage, str], object]
Matcher = Callable[[InboundMessage], bool]
RouteHandler = Callable[[InboundMessage], object]


@dataclass(frozen=True)
class Route:
    name: str
    matcher: Matcher
    handler: RouteHandler


_keywords: dict[str, KeywordHandler] = {}
_routes: dict[str, Route] = {}  # dicts keep insertion order, which is the order routes are tried in
_early_routes: dict[str, Route] = {}  # tried before the keywords (see register_route)


def _normalise(keyword: str) -> str:
    return keyword.strip().casefold()


def register_keyword(keyword: str, handler: KeywordHandler) -> None:
    """Send texts starting with `keyword` (any case) to `handler(message, rest)`.

    Registering the same handler again is harmless (ready() can run more than once in tests);
    two apps claiming one keyword is a configuration error and fails loudly at start-up.
    """
    key = _normalise(keyword)
    if not key or any(ch.isspace() for ch in key):
        raise ValueError(f"a keyword is one word, got {keyword!r}")
    if key.upper() in optout.RESERVED_WORDS:
        raise ValueError(f"{keyword!r} is an opt-out or opt-in word: messaging answers it for every feature")
    existing = _keywords.get(key)
    if existing is not None and existing is not handler:
        raise ValueError(f"keyword {keyword!r} is already registered")
    _keywords[key] = handler


def unregister_keyword(keyword: str) -> None:
    _keywords.pop(_normalise(keyword), None)


def register_route(
    name: str, matcher: Matcher, handler: RouteHandler, *, before_keywords: bool = False
) -> None:
    """Offer messages to `matcher`; `handler` takes those it wants.

    `before_keywords=True` is for routes that own the number or address a message was sent to:
    they are asked before the keywords, so a text to a map's own number that starts with JOIN
    still goes to the map.
    """
    table, other = (_early_routes, _routes) if before_keywords else (_routes, _early_routes)
    existing = table.get(name) or other.get(name)
    if existing is not None and (
        name in other or existing.matcher is not matcher or existing.handler is not handler
    ):
        raise ValueError(f"route {name!r} is already registered")
    table[name] = Route(name, matcher, handler)


def unregister_route(name: str) -> None:
    _routes.pop(name, None)
    _early_routes.pop(name, None)


def registered_keywords() -> list[str]:
    return sorted(k.upper() for k in _keywords)


def _find(message: InboundMessage) -> tuple[str, Callable[[], object]] | None:
    # An e-mail to a List-Unsubscribe "mailto:" address carries the word in its subject only.
    found = optout.keyword_in(message.body or message.subject)
    if found is not None:
        change, word = found
        handle = _opt_out if change == optout.OPT_OUT else _opt_in
        return f"{change}:{word}", lambda: handle(message, word)
    for route in _early_routes.values():
        if route.matcher(message):
            return route.name, lambda route=route: route.handler(message)
    first, _, rest = message.body.strip().partition(" ")
    # Phones and people add punctuation ("Join!", "STOP."); ignore it at the end of the keyword.
    handler = _keywords.get(_normalise(first).rstrip(".!?,;:"))
    if handler is not None:
        return f"keyword:{first.upper().rstrip('.!?,;:')}", lambda: handler(message, rest.strip())
    for route in _routes.values():
        if route.matcher(message):
            return route.name, lambda route=route: route.handler(message)
    return None


def route(message: InboundMessage) -> str | None:
    """Hand `message` to the first keyword or route that wants it; returns the route's name.

    A message nothing wants stays NEW, with `unmatched_at` set: a person has to look at it, which
    is the point of keeping it (a feature may offer it to the people concerned, as reports does in
    its inbox of messages that match no map).
    """
    name = ""
    try:
        found = _find(message)
        if found is None:
            message.unmatched_at = timezone.now()
            message.save(update_fields=["unmatched_at"])
            return None
        name, call = found
        # The savepoint means a handler's half-done database work is undone, while the
        # message row (saved before routing) stays.
        with transaction.atomic():
            call()
    except Exception as exc:
        logger.exception("inbound message %s could not be handled", message.pk)
        message.state = InboundMessage.State.FAILED
        message.route = name[: InboundMessage._meta.get_field("route").max_length]
        message.error = f"{type(exc).__name__}: {exc}"
        message.save(update_fields=["state", "route", "error"])
        return None
    message.refresh_from_db(fields=["state"])
    # A handler may already have answered (state ANSWERED); only move NEW/FAILED on.
    if message.state in (InboundMessage.State.NEW, InboundMessage.State.FAILED):
        message.state = InboundMessage.State.ROUTED
    message.route = name[: InboundMessage._meta.get_field("route").max_length]
    message.error = ""
    message.save(update_fields=["state", "route", "error"])
    return name


def _opt_out(message: InboundMessage, word: str) -> None:
    medium = optout.medium_for(message.gateway, message.sender)
    optout.opt_out(message.sender, medium=medium, source_message=message, via=f"keyword:{word}")
    with translation.override(settings.LANGUAGE_CODE):
        # Short: it is one SMS, and it says how to undo it.
        body = gettext("You will get no more messages from Samen. Reply START to get them again.")
        subject = gettext("You will get no more messages from Samen")
    _answer(message, body, subject, opted_out=True)


def _opt_in(message: InboundMessage, word: str) -> None:
    medium = optout.medium_for(message.gateway, message.sender)
    optout.opt_in(message.sender, medium=medium, source_message=message, via=f"keyword:{word}")
    with translation.override(settings.LANGUAGE_CODE):
        body = gettext("You will get messages from Samen again. Reply STOP to stop them.")
        subject = gettext("You will get messages from Samen again")
    _answer(message, body, subject, opted_out=False)


def _answer(message: InboundMessage, body: str, subject: str, *, opted_out: bool) -> None:
    if optout.medium_for(message.gateway, message.sender) != optout.Medium.EMAIL:
        subject = ""  # an SMS has none
    elif message.subject:
        subject = f"Re: {message.subject}"
    if not optout.provider_answers(message):
        outbox.confirm_opt_change(message, body, opted_out=opted_out, subject=subject)
    InboundMessage.objects.filter(pk=message.pk).update(
        state=InboundMessage.State.ANSWERED, answered_at=timezone.now()
    )
