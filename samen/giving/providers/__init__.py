"""Payment providers behind one interface, found through a registry keyed by kind.

A provider starts a payment for a donation (`start`), reads a webhook (`webhook`, which refuses
anything it cannot verify with `ForgedWebhook`), and refunds (`refund`). A webhook that only names
a payment (Mollie's) asks for a `Fetch` instead of calling the provider back on the request
thread: `tasks.fetch_payment` calls `fetch` in the background. It never changes a
donation itself: it reports what the provider says as `StatusUpdate`s (and, for monthly gifts,
`Repeat`s and `Stopped`s), and `actions.apply_webhook` moves the state and stores the repeats, so
every provider gets the same never-backwards, counted-once rules.

How to add one: see docs/giving.md ("Adding a payment provider").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from samen.giving.models import Donation


class ProviderError(Exception):
    """The provider could not do it (network, refused, misconfigured)."""


class ForgedWebhook(Exception):
    """A webhook we cannot verify: a bad signature, an unknown payment."""


@dataclass
class Started:
    redirect_url: str | None  # where the donor goes to pay; None when nothing is to be paid online
    provider_ref: str = ""
    recurring_ref: str = ""


@dataclass
class StatusUpdate:
    state: str  # a Donation.State value
    public_id: str = ""  # our donation id, when the provider echoes it back
    provider_ref: str = ""  # the provider's payment id, when known
    recurring_ref: str = ""
    subscription_ref: str = ""  # Mollie: the subscription made after a monthly gift's first payment


@dataclass
class Repeat:
    """A later month of a monthly gift, paid: it becomes a new donation under the first one."""

    recurring_ref: str  # finds the first donation (Stripe: subscription; Mollie: customer)
    provider_ref: str  # this payment; one donation per provider_ref, however often it is reported
    amount_minor: int
    currency: str
    subscription_ref: str = ""  # Mollie: must match the subscription we made on the customer


@dataclass
class Stopped:
    """The provider ended a monthly gift's repeats."""

    recurring_ref: str
    at: datetime | None = None


@dataclass
class Fetch:
    """A payment of ours a webhook says changed, to be fetched back from the provider by a task."""

    provider_ref: str  # the provider's payment id
    monthly_gift: str = ""  # Mollie: the public id of the monthly gift whose subscription made it


@dataclass
class WebhookResult:
    event_id: str  # the provider's id for this delivery ("" when it has none)
    updates: list[StatusUpdate]
    repeats: list[Repeat] = field(default_factory=list)
    stopped: list[Stopped] = field(default_factory=list)
    fetch: list[Fetch] = field(default_factory=list)


class Provider(ABC):
    """What every payment provider does; each registered provider implements start() and refund()."""

    kind: ClassVar[str]
    label: ClassVar[Any]  # a lazily translated string
    online: ClassVar[bool] = True  # False for pledges: no money moves through Samen

    def is_configured(self) -> bool:
        return True

    @abstractmethod
    def start(self, donation: Donation, *, return_url: str, webhook_url: str) -> Started:
        """Begin paying for a new donation: where the donor goes next, and the provider's reference."""

    def webhook(self, request: HttpRequest) -> WebhookResult:
        raise ForgedWebhook("this provider takes no webhooks")

    def fetch(self, payment: Fetch) -> WebhookResult:
        """What the provider says now about a payment a webhook named (in a task, never a request).

        Raises ForgedWebhook when it is nothing of ours, ProviderError when the provider cannot say.
        """
        raise ForgedWebhook("this provider names no payments to fetch")

    @abstractmethod
    def refund(self, donation: Donation) -> None:
        """Give a succeeded donation's money back (the caller moves the state)."""

    def stop_repeats(self, donation: Donation) -> None:
        """End a monthly gift at the provider, so it charges no further month (the caller records it).

        Nothing to do where no money moves through Samen (a pledge) or nothing repeats yet.
        """
        return None


_registry: dict[str, type[Provider]] = {}


def register(kind: str):
    def decorate(cls: type[Provider]) -> type[Provider]:
        cls.kind = kind
        _registry[kind] = cls
        return cls

    return decorate


def get(kind: str) -> Provider:
    _load()
    try:
        return _registry[kind]()
    except KeyError:
        raise ProviderError(f"unknown payment provider {kind!r}") from None


def available() -> list[Provider]:
    """Configured providers, pledge first."""
    _load()
    return [cls() for cls in _registry.values() if cls().is_configured()]


def _load() -> None:
    from . import mollie, pledge, stripe  # noqa: F401 - importing registers them
