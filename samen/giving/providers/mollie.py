"""Mollie: a payment, and a webhook that has a task fetch the payment's status back with the official client.

Mollie's webhook carries only the payment id (`id=tr_…`) and no signature: the status is always
fetched from Mollie's API, so a forged call cannot change anything. The fetch never happens on the
request thread, and only for a payment of ours: the webhook answers at once, and for an id that a
donation of ours carries, or that arrives at a monthly gift's own webhook URL, `tasks.fetch_payment`
fetches it with a short timeout. Any other id is answered 200 and ignored, without asking Mollie
(answering an error would only make Mollie retry, and would tell a prober which ids exist).

A monthly gift's first payment (sequenceType "first") makes a mandate; once it is paid we create a
monthly subscription on the customer, whose webhook URL carries the gift's signed public id
(`?gift=…`). Mollie then makes the later payments itself and calls that URL with ids we never saw:
such an id is fetched, and becomes a repeat only if it is paid and belongs to that gift's customer
and subscription.

The official client's HTTP session is replaced by an adapter over samen.core.http.request.
Settings: SAMEN_MOLLIE_API_KEY and, for tests, SAMEN_MOLLIE_API_ENDPOINT.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import NotFoundError
from mollie.api.objects.customer import Customer

from samen.core import http

from . import (
    Fetch,
    ForgedWebhook,
    Provider,
    ProviderError,
    Repeat,
    Started,
    StatusUpdate,
    WebhookResult,
    register,
)

logger = logging.getLogger(__name__)

# A payment id as Mollie makes them (tr_ and ten letters or digits today; some room for more).
PAYMENT_ID = re.compile(r"tr_[A-Za-z0-9]{1,64}")
# The background fetch gives up quickly: the task retries later (tasks.fetch_payment).
FETCH_TIMEOUT_SECONDS = 5.0
# The query parameter of a monthly gift's webhook URL, and the salt of its signature.
GIFT_PARAMETER = "gift"
GIFT_SALT = "samen.giving.mollie.monthly-gift"

# Mollie payment statuses -> ours.
STATES = {
    "open": "pending",
    "pending": "pending",
    "authorized": "pending",
    "paid": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "expired": "failed",
}


class _Response:
    """What the mollie client reads from a requests.Response."""

    def __init__(self, response: http.Response):
        self.status_code = response.status
        self.headers = response.headers
        self.content = response.content
        self.encoding = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Session:
    """Stands in for the requests.Session the mollie client would make, calling core.http instead."""

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout  # None: SAMEN_HTTP_TIMEOUT

    def request(self, method, url, headers=None, params=None, data=None, timeout=None):
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        try:
            response = http.request(
                method, url, data=data, headers=headers, timeout=self.timeout, raise_for_status=False
            )
        except http.HttpError as error:
            from mollie.api.error import RequestError

            raise RequestError(f"Unable to communicate with Mollie: {error}") from error
        return _Response(response)


def client(*, timeout: float | None = None) -> Client:
    endpoint = getattr(settings, "SAMEN_MOLLIE_API_ENDPOINT", "")
    mollie = Client(api_endpoint=endpoint)
    mollie.set_api_key(getattr(settings, "SAMEN_MOLLIE_API_KEY", ""))
    mollie._client = _Session(timeout)  # type: ignore[assignment]  # every call goes through core.http
    return mollie


def gift_webhook_url(webhook_url: str, donation) -> str:
    """The webhook URL for a monthly gift's subscription: ours, with the gift's signed public id."""
    scheme, netloc, path, _query, _fragment = urlsplit(
        webhook_url or settings.SITE_URL + reverse("giving:webhook", args=["mollie"])
    )
    token = signing.Signer(salt=GIFT_SALT).sign(str(donation.public_id))
    return urlunsplit((scheme, netloc, path, urlencode({GIFT_PARAMETER: token}), ""))


def _gift_of(token: str) -> str:
    """The public id in a monthly gift's webhook URL, if the signature holds ("" if not)."""
    if not token:
        return ""
    try:
        return signing.Signer(salt=GIFT_SALT).unsign(token)
    except signing.BadSignature:
        return ""


def _value(amount_minor: int, currency: str) -> str:
    from samen.giving.money import from_minor

    return f"{from_minor(amount_minor, currency):f}"


def _repeat(payment, state: str, gift) -> list[Repeat]:
    """A payment we never created: a month of the monthly gift `gift`, or nothing of ours (forged)."""
    from ..money import AmountError, to_minor

    customer, subscription = payment.customer_id or "", payment.subscription_id or ""
    if not customer or (customer, subscription) != (gift.recurring_ref, gift.subscription_ref):
        raise ForgedWebhook("this payment belongs to no monthly gift of ours")
    if state != "succeeded":
        # Not paid (yet): nothing to store. Mollie calls again when the status changes.
        return []
    amount = payment.amount or {}
    currency = str(amount.get("currency", "")).upper()
    try:
        amount_minor = to_minor(str(amount.get("value", "")), currency)
    except AmountError as error:
        raise ProviderError(f"Mollie sent an amount we cannot read: {amount}") from error
    return [
        Repeat(
            recurring_ref=customer,
            subscription_ref=subscription,
            provider_ref=payment.id,
            amount_minor=amount_minor,
            currency=currency,
        )
    ]


def _next_month(day: date) -> date:
    year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _subscribe(mollie: Client, donation, payment) -> str:
    """Make the monthly subscription once the first payment (and so the mandate) is paid; its id.

    It starts a month from now: Mollie charges on the start date, and this month is paid already.
    A subscription made earlier for this donation (the webhook answered 5xx after making it, say)
    is found first, so the donor is never charged twice a month.
    """
    customer = Customer({"id": donation.recurring_ref}, mollie)
    public_id = str(donation.public_id)
    try:
        for existing in customer.subscriptions.list():
            if (existing.metadata or {}).get("donation") == public_id and existing.status in (
                "pending",
                "active",
            ):
                return existing.id
        created = customer.subscriptions.create(
            {
                "amount": {
                    "currency": donation.currency,
                    "value": _value(donation.amount_minor, donation.currency),
                },
                "interval": "1 month",
                "startDate": _next_month(timezone.now().date()).isoformat(),
                "description": f"Monthly donation to {donation.initiative.title}"[:255],
                "webhookUrl": gift_webhook_url(payment.webhook_url, donation),
                "metadata": {"donation": public_id},
            },
            idempotency_key=f"samen-subscription-{public_id}",
        )
    except MollieError as error:
        # The task tries again later; the paid state and the subscription are stored together.
        raise ProviderError(f"Mollie refused the monthly subscription: {error}") from error
    return created.id


@register("mollie")
class Mollie(Provider):
    label = _("iDEAL, Bancontact and more (Mollie)")

    def is_configured(self) -> bool:
        return bool(getattr(settings, "SAMEN_MOLLIE_API_KEY", ""))

    def start(self, donation, *, return_url, webhook_url):
        data: dict[str, Any] = {
            "amount": {
                "currency": donation.currency,
                "value": _value(donation.amount_minor, donation.currency),
            },
            "description": f"Donation to {donation.initiative.title}"[:255],
            "redirectUrl": return_url,
            "webhookUrl": webhook_url,
            "metadata": {"donation": str(donation.public_id)},
        }
        recurring = ""
        try:
            mollie = client()
            if donation.monthly:
                # A first payment creates the mandate that later monthly payments use.
                customer = mollie.customers.create(
                    {"name": donation.name or donation.email, "email": donation.email},
                    idempotency_key=f"samen-customer-{donation.public_id}",
                )
                recurring = customer.id
                data["customerId"] = customer.id
                data["sequenceType"] = "first"
            payment = mollie.payments.create(data, idempotency_key=f"samen-donation-{donation.public_id}")
        except MollieError as error:
            raise ProviderError(f"Mollie refused the payment: {error}") from error
        return Started(redirect_url=payment.checkout_url, provider_ref=payment.id, recurring_ref=recurring)

    def webhook(self, request) -> WebhookResult:
        """Which payment of ours to fetch; quick, and no call to Mollie (see the module's doc)."""
        from samen.giving.models import Donation

        payment_id = request.POST.get("id", "")
        if not PAYMENT_ID.fullmatch(payment_id):
            raise ForgedWebhook("not a Mollie payment id")
        if Donation.objects.filter(provider="mollie", provider_ref=payment_id).exists():
            return WebhookResult(event_id="", updates=[], fetch=[Fetch(payment_id)])
        gift = _gift_of(request.GET.get(GIFT_PARAMETER, ""))
        if gift:
            # A month Mollie made for a subscription of ours: the fetch decides whether it is one.
            return WebhookResult(event_id="", updates=[], fetch=[Fetch(payment_id, monthly_gift=gift)])
        logger.info("Mollie webhook for a payment that is not ours, ignored: %s", payment_id)
        return WebhookResult(event_id="", updates=[])

    def fetch(self, payment: Fetch) -> WebhookResult:
        from samen.giving.models import Donation

        ours = Donation.objects.filter(provider="mollie").select_related("initiative")
        donation = ours.filter(provider_ref=payment.provider_ref).first()
        gift = None
        if donation is None and payment.monthly_gift:
            gift = ours.filter(
                public_id=payment.monthly_gift, parent=None, monthly=True, recurring_ref__gt=""
            ).first()
        if donation is None and gift is None:
            raise ForgedWebhook("no donation or monthly gift of ours has this payment")
        mollie = client(timeout=FETCH_TIMEOUT_SECONDS)
        try:
            found = mollie.payments.get(payment.provider_ref)
        except NotFoundError as error:
            raise ForgedWebhook("Mollie knows no payment with this id") from error
        except MollieError as error:
            raise ProviderError(f"could not fetch the payment from Mollie: {error}") from error
        state = STATES.get(found.status, "")
        refunded = found.amount_refunded or {}
        if state == "succeeded" and Decimal(refunded.get("value", "0") or "0") > 0:
            state = "refunded"
        if donation is None:
            return WebhookResult(event_id="", updates=[], repeats=_repeat(found, state, gift))
        subscription = ""
        if (
            state == "succeeded"
            and donation.monthly
            and donation.recurring_ref
            and not donation.subscription_ref
            and donation.recurring_ended_at is None  # the donor stopped it before it was paid
        ):
            subscription = _subscribe(mollie, donation, found)
        updates = (
            [StatusUpdate(state, provider_ref=payment.provider_ref, subscription_ref=subscription)]
            if state
            else []
        )
        return WebhookResult(event_id="", updates=updates)

    def stop_repeats(self, donation) -> None:
        if not donation.recurring_ref or not donation.subscription_ref:
            return  # the first payment is not paid yet: no subscription was made (nor will be)
        customer = Customer({"id": donation.recurring_ref}, client())
        try:
            customer.subscriptions.delete(
                donation.subscription_ref, idempotency_key=f"samen-stop-{donation.public_id}"
            )
        except NotFoundError:
            return  # cancelled already, at Mollie or by an earlier try
        except MollieError as error:
            raise ProviderError(f"Mollie refused to stop the subscription: {error}") from error

    def refund(self, donation) -> None:
        try:
            mollie = client()
            payment = mollie.payments.get(donation.provider_ref)
            payment.refunds.create(
                {"amount": payment.amount}, idempotency_key=f"samen-refund-{donation.public_id}"
            )
        except MollieError as error:
            raise ProviderError(f"Mollie refused the refund: {error}") from error
