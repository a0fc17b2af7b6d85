"""Mollie: a payment, and a webhook that fetches the payment's status back with the official client.

Mollie's webhook carries only the payment id (`id=tr_…`) and no signature: the status is always
fetched from Mollie's API, so a forged call cannot change anything. An id we never created is
refused. The official client's HTTP session is replaced by an adapter over
samen.core.http.request. Settings: SAMEN_MOLLIE_API_KEY and, for tests, SAMEN_MOLLIE_API_ENDPOINT.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from mollie.api.client import Client
from mollie.api.error import Error as MollieError

from samen.core import http

from . import ForgedWebhook, Provider, ProviderError, Started, StatusUpdate, WebhookResult, register

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
        if not payment_id or not Donation.objects.filter(provider="mollie", provider_ref=payment_id).exists():
            raise ForgedWebhook("no payment of ours has this id")
        try:
            payment = client().payments.get(payment_id)
        except MollieError as error:
            raise ProviderError(f"could not fetch the payment from Mollie: {error}") from error
        state = STATES.get(payment.status, "")
        refunded = payment.amount_refunded or {}
        if state == "succeeded" and Decimal(refunded.get("value", "0") or "0") > 0:
            state = "refunded"
        updates = [StatusUpdate(state, provider_ref=payment_id)] if state else []
        return WebhookResult(event_id="", updates=updates)

    def refund(self, donation) -> None:
        try:
            mollie = client()
            payment = mollie.payments.get(donation.provider_ref)
            payment.refunds.create(
                {"amount": payment.amount}, idempotency_key=f"samen-refund-{donation.public_id}"
            )
        except MollieError as error:
            raise ProviderError(f"Mollie refused the refund: {error}") from error
