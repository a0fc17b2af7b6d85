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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from samen.messaging.models import Channel, OutboundMessage

_registry: dict[str, type[Gateway]] = {}


class TransportError(Exception):
    """The transport refused or failed. `permanent` means retrying the same message cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class UnknownGateway(LookupError):
    pass


class Gateway:
    """Base class: holds the channel (if any) whose settings the gateway should use."""

    kind: str = ""

    def __init__(self, channel: Channel | None = None):
        self.channel = channel

    @property
    def config(self) -> dict:
        return self.channel.config if self.channel else {}

    def send(self, outbound: OutboundMessage) -> str:
        raise NotImplementedError(f"{type(self).__name__} cannot send messages")


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


# Built-in gateways register themselves on import.
from samen.messaging.gateways import email  # noqa: E402, F401
