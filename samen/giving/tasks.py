"""Background work for giving: fetching back a payment a provider's webhook named.

A webhook that carries only a payment id (Mollie's) is answered at once; `fetch_payment` asks the
provider in the background, with a short timeout, and applies what it says through
`actions.apply_webhook`. Safe to run twice: a state moves by conditional UPDATE from the state it
leaves, a repeat is made once per provider payment, and a Mollie subscription is found before one
is made (with an idempotency key besides). So a retry, or a second webhook for the same payment
while the first fetch runs, changes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from samen.core import taskqueue

from . import actions, providers

logger = logging.getLogger(__name__)

# Five tries, 1, 4, 16 and 64 minutes apart, when the provider cannot answer: it answered the
# webhook's sender already, so nobody else will try again.
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60
RETRY_FACTOR = 4


def fetch_later(kind: str, payments: list[providers.Fetch]) -> int:
    """Enqueue a fetch for each payment a webhook named, unless one is waiting already; how many."""
    waiting = taskqueue.waiting_for(fetch_payment, [payment.provider_ref for payment in payments])
    queued = 0
    for payment in payments:
        if payment.provider_ref in waiting:
            continue  # the waiting fetch will see the newest state: a flood of pings costs one call
        fetch_payment.enqueue(payment.provider_ref, kind, payment.monthly_gift)
        queued += 1
    return queued


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=RETRY_BASE_SECONDS * RETRY_FACTOR ** (attempt - 1))


@task
def fetch_payment(provider_ref: str, kind: str, monthly_gift: str = "", attempt: int = 1) -> int:
    """Fetch one payment from its provider and apply what it says; returns how many donations moved."""
    try:
        provider = providers.get(kind)
    except providers.ProviderError:
        logger.warning("fetch for unknown payment provider %r dropped", kind)
        return 0
    if not provider.is_configured():
        return 0
    payment = providers.Fetch(provider_ref, monthly_gift=monthly_gift)
    try:
        result = provider.fetch(payment)
    except providers.ForgedWebhook as error:
        logger.warning("%s payment %s is nothing of ours: %s", kind, provider_ref, error)
        return 0
    except providers.ProviderError as error:
        logger.warning("%s payment %s could not be fetched (try %s): %s", kind, provider_ref, attempt, error)
        _retry(payment, kind, attempt)
        return 0
    return actions.apply_webhook(kind, result)


def _retry(payment: providers.Fetch, kind: str, attempt: int) -> None:
    backend = fetch_payment.get_backend()
    if attempt >= MAX_ATTEMPTS or not backend.supports_defer:
        # The immediate backend would retry on the spot, which cannot help a provider that is down;
        # the provider's next webhook for the payment (a later status) fetches it again.
        logger.error("%s payment %s: gave up fetching it after %s tries", kind, payment.provider_ref, attempt)
        return
    later = fetch_payment.using(run_after=timezone.now() + retry_delay(attempt))
    later.enqueue(payment.provider_ref, kind, payment.monthly_gift, attempt + 1)
