"""Stripe: Checkout Sessions, webhooks verified with stripe.Webhook.construct_event.

A monthly gift is a subscription: its first invoice is paid through Checkout (the first donation),
each later paid invoice (invoice.paid) becomes a repeat donation, and customer.subscription.deleted
says the repeats stopped.

Every call to Stripe's API goes through samen.core.http.request, by giving the stripe library
our own HTTPClient. Settings: SAMEN_STRIPE_SECRET_KEY, SAMEN_STRIPE_WEBHOOK_SECRET and, for tests
or a mock, SAMEN_STRIPE_API_BASE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe as stripe_lib
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from samen.core import http

from . import (
    ForgedWebhook,
    Provider,
    ProviderError,
    Repeat,
    Started,
    StatusUpdate,
    Stopped,
    WebhookResult,
    register,
)


class SamenHttpClient(stripe_lib.HTTPClient):
    """stripe's HTTPClient interface, answered by samen.core.http.request."""

    name = "samen"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        return self._send(method, url, headers, post_data)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        import io

        content, status, response_headers = self._send(method, url, headers, post_data)
        return io.BytesIO(content), status, response_headers

    def _send(self, method: str, url: str, headers, post_data) -> tuple[bytes, int, dict[str, str]]:
        try:
            response = http.request(
                method.upper(), url, data=post_data, headers=dict(headers or {}), raise_for_status=False
            )
        except http.HttpError as error:
            raise stripe_lib.APIConnectionError(str(error)) from error
        return response.content, response.status, response.headers

    def close(self):
        return None


def client() -> stripe_lib.StripeClient:
    base = getattr(settings, "SAMEN_STRIPE_API_BASE", "")
    return stripe_lib.StripeClient(
        getattr(settings, "SAMEN_STRIPE_SECRET_KEY", ""),
        http_client=SamenHttpClient(),
        base_addresses={"api": base} if base else None,
        max_network_retries=0,
    )


# Checkout events -> our states. Anything else Stripe sends is acknowledged and ignored.
SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": "succeeded",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "failed",
}


# Both say an invoice was paid; Stripe may send either or both. A repeat is one per payment
# (actions.record_repeat), so the second changes nothing.
REPEAT_EVENTS = ("invoice.paid", "invoice.payment_succeeded")


def _repeats(invoice: dict) -> list[Repeat]:
    """A paid invoice of one of our subscriptions, after the first: a new month of a monthly gift.

    The first invoice (billing_reason "subscription_create") was paid through Checkout, and is
    the first donation already. The subscription sits at the top of the invoice in API versions
    before 2025-03-31, under parent.subscription_details since; the payment intent went the same
    way (under `payments`, not sent in the event), so the invoice id stands in for it there.
    """
    if invoice.get("billing_reason") == "subscription_create":
        return []
    parent = invoice.get("parent") or {}
    subscription = invoice.get("subscription") or (parent.get("subscription_details") or {}).get(
        "subscription"
    )
    if isinstance(subscription, dict):  # expanded
        subscription = subscription.get("id")
    payment_intent = invoice.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    ref = payment_intent or invoice.get("id") or ""
    amount, currency = invoice.get("amount_paid"), invoice.get("currency") or ""
    if not subscription or not ref or not isinstance(amount, int) or amount <= 0 or not currency:
        return []
    return [
        Repeat(recurring_ref=subscription, provider_ref=ref, amount_minor=amount, currency=currency.upper())
    ]


def _id(value) -> str:
    """An expandable field's id, whether Stripe sent the id or the (expanded) object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _payment_intent_of(ref: str) -> str:
    """The payment intent to refund behind a donation's reference.

    A one-off gift keeps its payment intent (pi_…). The first month of a monthly gift keeps its
    Checkout Session (cs_…), whose money was paid through the subscription's first invoice; a later
    month keeps its invoice (in_…) when the event had no payment intent, as from API 2025-03-31 on.
    An invoice's payment intent is found through its invoice payments.
    """
    if ref.startswith("pi_"):
        return ref
    stripe = client()
    invoice = ""
    if ref.startswith("cs_"):
        session = stripe.v1.checkout.sessions.retrieve(ref).to_dict()
        intent = _id(session.get("payment_intent"))
        if intent:
            return intent
        invoice = _id(session.get("invoice"))
    elif ref.startswith("in_"):
        invoice = ref
    if not invoice:
        return ""
    for found in stripe.v1.invoice_payments.list(params={"invoice": invoice}).data:
        payment = found.to_dict()
        paid = payment.get("payment") or {}
        if paid.get("type") == "payment_intent" and payment.get("status") == "paid":
            return _id(paid.get("payment_intent"))
    return ""


@register("stripe")
class Stripe(Provider):
    label = _("Card or bank (Stripe)")

    def is_configured(self) -> bool:
        return bool(getattr(settings, "SAMEN_STRIPE_SECRET_KEY", "")) and bool(
            getattr(settings, "SAMEN_STRIPE_WEBHOOK_SECRET", "")
        )

    def start(self, donation, *, return_url, webhook_url):
        line: dict[str, Any] = {
            "quantity": 1,
            "price_data": {
                "currency": donation.currency.lower(),
                "unit_amount": donation.amount_minor,
                "product_data": {"name": f"Donation to {donation.initiative.title}"[:250]},
            },
        }
        metadata = {"donation": str(donation.public_id)}
        params: dict[str, Any] = {
            "success_url": return_url,
            "cancel_url": return_url,
            "client_reference_id": str(donation.public_id),
            "customer_email": donation.email,
            "metadata": metadata,
            "line_items": [line],
        }
        if donation.monthly:
            line["price_data"]["recurring"] = {"interval": "month"}
            params["mode"] = "subscription"
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["mode"] = "payment"
            params["payment_intent_data"] = {"metadata": metadata}
        try:
            session = client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"samen-donation-{donation.public_id}"},
            )
        except stripe_lib.StripeError as error:
            raise ProviderError(f"Stripe refused the checkout: {error}") from error
        return Started(redirect_url=session.url, provider_ref=session.id)

    def webhook(self, request) -> WebhookResult:
        try:
            event = stripe_lib.Webhook.construct_event(
                request.body,
                request.headers.get("Stripe-Signature", ""),
                getattr(settings, "SAMEN_STRIPE_WEBHOOK_SECRET", ""),
            )
        except (ValueError, stripe_lib.SignatureVerificationError) as error:
            raise ForgedWebhook(str(error) or "bad signature") from error
        data = event.to_dict()  # plain dicts: StripeObjects are not dicts in stripe 16
        kind, event_id = data.get("type"), data.get("id")
        if not isinstance(kind, str) or not isinstance(event_id, str):
            raise ForgedWebhook("a signed body that is not a Stripe event (no id or type)")
        # Signed but without the object it is about: nothing to move, and no retry would change that.
        wrapper = data.get("data")
        inner = wrapper.get("object") if isinstance(wrapper, dict) else None
        obj: dict = inner if isinstance(inner, dict) else {}
        updates: list[StatusUpdate] = []
        if kind.startswith("checkout.session."):
            public_id = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("donation", "")
            ref = obj.get("payment_intent") or obj.get("id") or ""
            recurring = obj.get("subscription") or ""
            if kind == "checkout.session.completed":
                paid = obj.get("payment_status") in ("paid", "no_payment_required")
                state = "succeeded" if paid else "pending"
            else:
                state = SESSION_EVENTS.get(kind, "")
            if state and public_id:
                updates.append(
                    StatusUpdate(state, public_id=public_id, provider_ref=ref, recurring_ref=recurring)
                )
        elif kind == "charge.refunded" and obj.get("refunded"):
            public_id = (obj.get("metadata") or {}).get("donation", "")
            updates.append(
                StatusUpdate("refunded", public_id=public_id, provider_ref=obj.get("payment_intent") or "")
            )
        elif kind in REPEAT_EVENTS:
            return WebhookResult(event_id=event_id, updates=[], repeats=_repeats(obj))
        elif kind == "customer.subscription.deleted" and obj.get("id"):
            ended = obj.get("ended_at") or obj.get("canceled_at")
            at = datetime.fromtimestamp(ended, UTC) if isinstance(ended, int) else None
            return WebhookResult(event_id=event_id, updates=[], stopped=[Stopped(obj["id"], at)])
        return WebhookResult(event_id=event_id, updates=updates)

    def stop_repeats(self, donation) -> None:
        if not donation.recurring_ref.startswith("sub_"):
            return  # the checkout was never completed: there is no subscription to cancel
        try:
            client().v1.subscriptions.cancel(
                donation.recurring_ref, options={"idempotency_key": f"samen-stop-{donation.public_id}"}
            )
        except stripe_lib.InvalidRequestError as error:
            if getattr(error, "code", "") != "resource_missing":
                raise ProviderError(f"Stripe refused to stop the subscription: {error}") from error
        except stripe_lib.StripeError as error:
            raise ProviderError(f"Stripe refused to stop the subscription: {error}") from error

    def refund(self, donation) -> None:
        try:
            intent = _payment_intent_of(donation.provider_ref)
            if not intent:
                raise ProviderError("this payment has no payment intent to refund")
            client().v1.refunds.create(
                params={"payment_intent": intent},
                options={"idempotency_key": f"samen-refund-{donation.public_id}"},
            )
        except stripe_lib.StripeError as error:
            raise ProviderError(f"Stripe refused the refund: {error}") from error
