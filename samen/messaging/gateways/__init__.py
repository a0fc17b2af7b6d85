"""Gateways: one class per kind of transport (e-mail, SMS providers, …), found by kind.

A gateway is deliberately small. It must implement `send(outbound) -> provider_id` and raise
`TransportError` when the transport says no. Gateways that receive messages (SMS webhooks,
inbound e-mail) add their own parsing next to `send`, in their own module, and hand the result
to `samen.messaging.inbox.receive()`; the registry does not need to know about that.

Adding a gateway: create `gateways/<kind>.py`, decorate the class with `@register("<kind>")`,
and import the module at the bottom of this file so that registering does not depend on
whoever happens to import it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from samen.messaging.models import Channel, InboundMessage, OutboundMessage

_registry: dict[str, type[Gateway]] = {}


class TransportError(Exception):
    """The transport refused or failed. `permanent` means retrying the same message cannot help.

    `recipient_only` says the fault is the recipient's (an invalid or opted-out number): the
    message fails, but the channel stays on for everyone else.
    """

    def __init__(self, message: str, permanent: bool = False, *, recipient_only: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.recipient_only = recipient_only


class UnknownGateway(LookupError):
    pass


@dataclass(frozen=True)
class Media:
    """A file that came with an inbound message: an MMS picture (`url`) or an e-mail attachment (`content`)."""

    name: str
    content_type: str
    url: str = ""
    content: bytes | None = None


class Gateway:
    """Base class: holds the channel (if any) whose settings the gateway should use."""

    kind: str = ""
    # "sms" or "email": what the messages are, so feature apps can route them without knowing kinds.
    medium: str = ""
    # True when the other side collects outbound messages itself (an SMSSync phone polls for them):
    # the deliver task leaves such messages queued instead of pushing them.
    polled: bool = False

    def __init__(self, channel: Channel | None = None):
        self.channel = channel

    @property
    def config(self) -> dict:
        return self.channel.config if self.channel else {}

    def send(self, outbound: OutboundMessage) -> str:
        # Inbound-only gateways (the e-mail webhook, for instance) keep this: a message routed to
        # one fails for good with a clear reason instead of being retried.
        raise TransportError(f"the {type(self).__name__} gateway only receives messages", permanent=True)

    # Reading a stored inbound message back. Only the gateway knows its raw format, so feature apps
    # ask it rather than parse `InboundMessage.raw` themselves.

    def sent_at(self, message: InboundMessage) -> datetime | None:
        """When the sender sent it, if the gateway says so."""
        return None

    def media(self, message: InboundMessage) -> list[Media]:
        """The files that came with it (cheap: nothing is downloaded here)."""
        return []

    def fetch_media(self, media: Media) -> bytes:
        """The bytes of one file from `media()`; raises TransportError when they cannot be had."""
        if media.content is None:
            raise TransportError(f"{type(self).__name__} cannot download {media.name}", permanent=True)
        return media.content

    def auto_reply_allowed(self, message: InboundMessage) -> bool:
        """False when answering automatically could start a loop (say, with another auto-responder)."""
        return True


def field_text(value) -> str:
    """An inbound field as text: a string as it came, a number written out, anything else as ""."""
    # JSON bodies can put null, lists or objects where a gateway documents text: that is no
    # value at all (a required field is then missing: 400), never a Python repr in a report.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def register(kind: str):
    """Class decorator: make the gateway available under `kind` (the value stored in `Channel.kind`)."""

    def decorator(cls: type[Gateway]) -> type[Gateway]:
        existing = _registry.get(kind)
        if existing is not None and existing is not cls:
            raise ValueError(f"gateway kind {kind!r} is already registered by {existing.__qualname__}")
        cls.kind = kind
        _registry[kind] = cls
        return cls

    return decorator


def unregister(kind: str) -> None:
    """Remove a kind; tests use this to clean up fake gateways."""
    _registry.pop(kind, None)


def get_gateway(kind: str, channel: Channel | None = None) -> Gateway:
    """An instance of the gateway registered for `kind`, bound to `channel`."""
    try:
        cls = _registry[kind]
    except KeyError:
        raise UnknownGateway(f"no gateway registered for kind {kind!r}") from None
    return cls(channel)


def registered_kinds() -> list[str]:
    return sorted(_registry)


def polled_kinds() -> list[str]:
    return sorted(kind for kind, cls in _registry.items() if cls.polled)


# Built-in gateways register themselves on import.
from samen.messaging.gateways import (  # noqa: E402, F401
    africastalking,
    email,
    frontlinesms,
    inbound_email,
    smssync,
    twilio,
)
