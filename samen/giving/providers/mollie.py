"""Mollie: a payment, and a webhook that fetches the payment's status back with the official client.

Mollie's webhook carries only the payment id (`id=tr_…`) and no signature: the status is always
fetched from Mollie's API, so a forged call cannot change anything. A monthly gift's first payment
(sequenceType "first") makes a mandate; once it is paid we create a monthly subscription on the
customer. Mollie then makes the later payments itself and calls the same webhook with ids we never
saw: such an id is fetched too, and becomes a repeat only if it is paid and belongs to one of our
subscriptions. An id Mollie does not know, or that belongs to nothing of ours, is refused.

The official client's HTTP session is replaced by an adapter over samen.core.http.request.
Settings: SAMEN_MOLLIE_API_KEY and, for tests, SAMEN_MOLLIE_API_ENDPOINT.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import NotFoundError
from mollie.api.objects.customer import Customer

from samen.core import http

from . import (
    ForgedWebhook,
    Provider,
    ProviderError,
    Repeat,
    Started,
    StatusUpdate,
    WebhookResult,
    register,
)

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

    def request(self, method, url, headers=None, params=None, data=None, timeout=None):
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        try:
            response = http.request(method, url, data=data, headers=headers, raise_for_status=False)
        except http.HttpError as error:
            from mollie.api.error import RequestError

            raise RequestError(f"Unable to communicate with Mollie: {error}") from error
        return _Response(response)


def client() -> Client:
    endpoint = getattr(settings, "SAMEN_MOLLIE_API_ENDPOINT", "")
    mollie = Client(api_endpoint=endpoint)
    mollie.set_api_key(getattr(settings, "SAMEN_MOLLIE_API_KEY", ""))
    mollie._client = _Session()  # type: ignore[assignment]  # every call goes through core.http
    return mollie


def _value(amount_minor: int, currency: str) -> str:
    from samen.giving.money import from_minor

    return f"{from_minor(amount_minor, currency):f}"


def _repeat(payment, state: str) -> list[Repeat]:
    """A payment we never created: a month of one of our subscriptions, or nothing of ours (forged)."""
    from samen.giving.models import Donation

    from ..money import AmountError, to_minor

    customer, subscription = payment.customer_id or "", payment.subscription_id or ""
    known = Donation.objects.filter(
        provider="mollie", parent=None, monthly=True, recurring_ref=customer, subscription_ref=subscription
    )
    if not customer or not subscription or not known.exists():
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


def _subscribe(mollie: Client, donation, payment, request) -> str:
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
                "webhookUrl": payment.webhook_url or request.build_absolute_uri(request.path),
                "metadata": {"donation": public_id},
            },
            idempotency_key=f"samen-subscription-{public_id}",
        )
    except MollieError as error:
        # 5xx: Mollie retries the webhook, and the paid state and the subscription are stored together.
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
        from samen.giving.models import Donation

        payment_id = request.POST.get("id", "")
        if not payment_id.startswith("tr_"):
            raise ForgedWebhook("not a Mollie payment id")
        ours = Donation.objects.filter(provider="mollie", provider_ref=payment_id).select_related(
            "initiative"
        )
        donation = ours.first()
        mollie = client()
        try:
            # For an id we never saw (a monthly repeat Mollie made on its own), this fetch is the
            # check: a forged id is unknown to Mollie, or its payment belongs to no gift of ours.
            payment = mollie.payments.get(payment_id)
        except NotFoundError as error:
            raise ForgedWebhook("Mollie knows no payment with this id") from error
        except MollieError as error:
            raise ProviderError(f"could not fetch the payment from Mollie: {error}") from error
        state = STATES.get(payment.status, "")
        refunded = payment.amount_refunded or {}
        if state == "succeeded" and Decimal(refunded.get("value", "0") or "0") > 0:
            state = "refunded"
        if donation is None:
            return WebhookResult(event_id="", updates=[], repeats=_repeat(payment, state))
        subscription = ""
        if (
            state == "succeeded"
            and donation.monthly
            and donation.recurring_ref
            and not donation.subscription_ref
            and donation.recurring_ended_at is None  # the donor stopped it before it was paid
        ):
            subscription = _subscribe(mollie, donation, payment, request)
        updates = (
            [StatusUpdate(state, provider_ref=payment_id, subscription_ref=subscription)] if state else []
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
