"""Stripe against a local server: Checkout, webhooks signed with the stripe library's own code, refunds."""

import json
import time

import pytest
import stripe
from django.urls import reverse

from samen.giving.models import Donation, FundraisingGoal, ProviderEvent
from samen.impact.models import Contribution

from .conftest import donate_form, receipts

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_api(settings, httpserver):
    settings.SAMEN_STRIPE_SECRET_KEY = "sk_test_123"
    settings.SAMEN_STRIPE_WEBHOOK_SECRET = SECRET
    settings.SAMEN_STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    return httpserver


def session_json(**extra):
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_1",
        "payment_status": "unpaid",
        **extra,
    }


def signed(payload: dict, secret: str = SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload)
    timestamp = timestamp or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body}", secret)
    return body.encode(), f"t={timestamp},v1={signature}"


def event(kind: str, obj: dict, event_id: str = "evt_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": obj},
        "api_version": "2024-06-20",
    }


def post_webhook(client, payload: dict, **kwargs):
    body, header = signed(payload, **kwargs)
    return client.post(
        reverse("giving:webhook", args=["stripe"]),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def start(client, stripe_api, initiative, **form):
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        session_json()
    )
    response = client.post(
        reverse("giving:give", args=[initiative.slug]), donate_form(provider="stripe", **form)
    )
    return response, Donation.objects.get()


def test_a_gift_goes_to_stripe_checkout_and_is_counted_when_paid(client, stripe_api, initiative, goal):
    response, donation = start(client, stripe_api, initiative, amount="25")

    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    sent = stripe_api.log[0][0]
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Idempotency-Key"] == f"samen-donation-{donation.public_id}"
    form = sent.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "2500"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["client_reference_id"] == str(donation.public_id)
    assert (donation.state, donation.provider_ref) == ("pending", "cs_test_1")
    goal.refresh_from_db()
    assert goal.raised_minor == 0  # not paid yet

    paid = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), payment_intent="pi_1"
    )
    answer = post_webhook(client, event("checkout.session.completed", paid))

    assert answer.status_code == 200 and answer.json()["moved"] == 1
    donation.refresh_from_db()
    goal.refresh_from_db()
    assert (donation.state, donation.provider_ref) == ("succeeded", "pi_1")
    assert goal.raised_minor == 2500
    assert receipts(donation).count() == 1
    assert Contribution.objects.filter(source_ref=str(donation.pk)).count() == 1

    # The same webhook again changes nothing.
    again = post_webhook(client, event("checkout.session.completed", paid))
    assert again.status_code == 200 and again.json()["moved"] == 0
    goal.refresh_from_db()
    assert goal.raised_minor == 2500
    assert ProviderEvent.objects.count() == 1


def test_a_monthly_gift_becomes_a_subscription(client, stripe_api, initiative):
    _, donation = start(client, stripe_api, initiative, amount="10", monthly="on")

    form = stripe_api.log[0][0].form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    done = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), subscription="sub_9"
    )
    post_webhook(client, event("checkout.session.completed", done))
    donation.refresh_from_db()
    assert (donation.state, donation.recurring_ref, donation.monthly) == ("succeeded", "sub_9", True)


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "whsec_wrong"},
        {"timestamp": int(time.time()) - 3600},  # outside stripe's tolerance: a replay
    ],
)
def test_forged_webhooks_are_refused(client, stripe_api, initiative, tamper):
    _, donation = start(client, stripe_api, initiative)
    paid = session_json(payment_status="paid", client_reference_id=str(donation.public_id))

    response = post_webhook(client, event("checkout.session.completed", paid), **tamper)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    donation.refresh_from_db()
    assert donation.state == "pending"


def test_a_webhook_without_signature_is_refused(client, stripe_api):
    response = client.post(reverse("giving:webhook", args=["stripe"]), b"{}", content_type="application/json")
    assert response.status_code == 400


def test_expired_checkout_fails_and_a_late_success_cannot_revive_it(client, stripe_api, initiative):
    _, donation = start(client, stripe_api, initiative)
    ref = str(donation.public_id)

    post_webhook(client, event("checkout.session.expired", session_json(client_reference_id=ref), "evt_exp"))
    paid = session_json(payment_status="paid", client_reference_id=ref)
    post_webhook(client, event("checkout.session.completed", paid, "evt_late"))

    donation.refresh_from_db()
    assert donation.state == "failed"


def test_the_owner_refunds_through_stripe_and_the_refund_webhook_changes_nothing_more(
    client, client_as, owner, stripe_api, initiative, goal
):
    _, donation = start(client, stripe_api, initiative, amount="30")
    paid = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), payment_intent="pi_7"
    )
    post_webhook(client, event("checkout.session.completed", paid))
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_1", "object": "refund", "status": "succeeded", "payment_intent": "pi_7"}
    )

    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]))

    assert stripe_api.log[-1][0].form["payment_intent"] == "pi_7"
    donation.refresh_from_db()
    assert donation.state == "refunded"
    assert FundraisingGoal.objects.get().raised_minor == 0
    charge = {"id": "ch_1", "object": "charge", "refunded": True, "payment_intent": "pi_7", "metadata": {}}
    answer = post_webhook(client, event("charge.refunded", charge, "evt_refund"))
    assert answer.json()["moved"] == 0
    assert FundraisingGoal.objects.get().raised_minor == 0


def test_a_refund_made_in_the_stripe_dashboard_arrives_by_webhook(client, stripe_api, initiative, goal):
    _, donation = start(client, stripe_api, initiative, amount="30")
    paid = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), payment_intent="pi_8"
    )
    post_webhook(client, event("checkout.session.completed", paid))

    charge = {"id": "ch_2", "object": "charge", "refunded": True, "payment_intent": "pi_8", "metadata": {}}
    post_webhook(client, event("charge.refunded", charge, "evt_refund_2"))

    donation.refresh_from_db()
    goal.refresh_from_db()
    assert donation.state == "refunded" and goal.raised_minor == 0


def test_stripe_refusing_the_checkout_shows_an_error_and_keeps_nothing_pending(
    client, stripe_api, initiative
):
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "No such currency"}}, status=400
    )

    response = client.post(reverse("giving:give", args=[initiative.slug]), donate_form(provider="stripe"))

    assert response.status_code == 200
    assert "could not be started" in response.content.decode()
    assert Donation.objects.get().state == "failed"


def test_stripe_is_not_offered_without_keys(client, initiative):
    response = client.post(reverse("giving:give", args=[initiative.slug]), donate_form(provider="stripe"))
    assert response.context["form"].errors["provider"]
    response = client.post(reverse("giving:webhook", args=["stripe"]), b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_verified_event_about_nothing_of_ours_is_acknowledged_and_changes_nothing(
    client, stripe_api, initiative
):
    _, donation = start(client, stripe_api, initiative)
    paid = session_json(payment_status="paid", client_reference_id="not-a-uuid")

    response = post_webhook(client, event("checkout.session.completed", paid, "evt_other"))

    assert response.status_code == 200 and response.json()["moved"] == 0
    donation.refresh_from_db()
    assert donation.state == "pending"


def test_a_monthly_gift_is_refunded_through_the_payment_intent_of_its_first_invoice(
    client, client_as, owner, stripe_api, initiative, goal
):
    """A subscription's Checkout Session has no payment intent: the first invoice's payment has it."""
    _, donation = start(client, stripe_api, initiative, amount="10", monthly="on")
    done = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), subscription="sub_9"
    )
    post_webhook(client, event("checkout.session.completed", done))
    donation.refresh_from_db()
    assert (donation.state, donation.provider_ref) == ("succeeded", "cs_test_1")
    stripe_api.expect_oneshot_request("/v1/checkout/sessions/cs_test_1", method="GET").respond_with_json(
        session_json(payment_status="paid", payment_intent=None, invoice="in_first", subscription="sub_9")
    )
    stripe_api.expect_oneshot_request(
        "/v1/invoice_payments", method="GET", query_string="invoice=in_first"
    ).respond_with_json(
        {
            "object": "list",
            "url": "/v1/invoice_payments",
            "has_more": False,
            "data": [
                {
                    "id": "inpay_1",
                    "object": "invoice_payment",
                    "invoice": "in_first",
                    "status": "paid",
                    "payment": {"type": "payment_intent", "payment_intent": "pi_first"},
                }
            ],
        }
    )
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {"id": "re_9", "object": "refund", "status": "succeeded", "payment_intent": "pi_first"}
    )

    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]))

    assert stripe_api.log[-1][0].form["payment_intent"] == "pi_first"
    donation.refresh_from_db()
    assert donation.state == "refunded"
    assert FundraisingGoal.objects.get().raised_minor == 0


def test_a_refund_without_any_payment_intent_is_refused_and_changes_nothing(
    client, client_as, owner, stripe_api, initiative, goal
):
    _, donation = start(client, stripe_api, initiative, amount="10", monthly="on")
    done = session_json(payment_status="paid", client_reference_id=str(donation.public_id), subscription="s")
    post_webhook(client, event("checkout.session.completed", done))
    stripe_api.expect_oneshot_request("/v1/checkout/sessions/cs_test_1", method="GET").respond_with_json(
        session_json(payment_status="paid", payment_intent=None, invoice=None)
    )

    answer = client_as(owner).post(
        reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]), follow=True
    )

    assert "no payment intent to refund" in answer.content.decode()
    donation.refresh_from_db()
    assert donation.state == "succeeded"
    assert FundraisingGoal.objects.get().raised_minor == 1000


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "evt_2", "object": "event", "type": "checkout.session.completed"},  # no data
        {"id": "evt_3", "object": "event", "type": "charge.refunded", "data": None},
        {"id": "evt_4", "object": "event", "type": "checkout.session.completed", "data": {"object": "x"}},
        {"id": "evt_5", "object": "event", "type": "invoice.paid", "data": {}},
        {"id": "evt_6", "object": "event", "data": {"object": {}}},  # no type
        {"object": "event", "type": "checkout.session.completed", "data": {"object": {}}},  # no id
    ],
)
def test_a_signed_event_without_its_parts_moves_nothing_and_never_crashes(client, stripe_api, payload):
    answer = post_webhook(client, payload)

    assert answer.status_code in (200, 400), answer.content
    assert answer["Content-Type"] == "application/json"
    assert answer.status_code == 400 or answer.json()["moved"] == 0
    assert not Donation.objects.exists()
