"""Mollie against a local server: a payment, and a webhook that fetches the status back with the official client."""

import pytest
from django.urls import reverse

from samen.giving.models import Donation, FundraisingGoal

from .conftest import donate_form, receipts

pytestmark = pytest.mark.django_db


@pytest.fixture
def mollie_api(settings, httpserver):
    settings.SAMEN_MOLLIE_API_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
    settings.SAMEN_MOLLIE_API_ENDPOINT = httpserver.url_for("").rstrip("/")
    return httpserver


def payment_json(status="open", payment_id="tr_WDqYK6vllg", **extra):
    return {
        "resource": "payment",
        "id": payment_id,
        "mode": "test",
        "status": status,
        "amount": {"value": "25.00", "currency": "EUR"},
        "description": "Donation",
        "metadata": {},
        "_links": {
            "checkout": {
                "href": f"https://www.mollie.com/checkout/select-method/{payment_id}",
                "type": "text/html",
            }
        },
        **extra,
    }


def start(client, mollie_api, initiative, **form):
    mollie_api.expect_oneshot_request("/v2/payments", method="POST").respond_with_json(
        payment_json(), status=201
    )
    response = client.post(
        reverse("giving:give", args=[initiative.slug]), donate_form(provider="mollie", **form)
    )
    return response, Donation.objects.get()


def webhook(client, payment_id="tr_WDqYK6vllg"):
    return client.post(reverse("giving:webhook", args=["mollie"]), {"id": payment_id})


def test_a_gift_goes_to_mollie_and_the_webhook_fetches_its_status(client, mollie_api, initiative, goal):
    response, donation = start(client, mollie_api, initiative)

    assert response.status_code == 302
    assert response["Location"] == "https://www.mollie.com/checkout/select-method/tr_WDqYK6vllg"
    sent = mollie_api.log[0][0].get_json()
    assert sent["amount"] == {"currency": "EUR", "value": "25.00"}
    assert sent["webhookUrl"].endswith("/give/webhooks/mollie/")
    assert sent["redirectUrl"].endswith(donation.get_absolute_url())
    assert (donation.state, donation.provider_ref) == ("pending", "tr_WDqYK6vllg")

    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg", method="GET").respond_with_json(
        payment_json("paid")
    )
    answer = webhook(client)

    assert answer.status_code == 200
    donation.refresh_from_db()
    assert donation.state == "succeeded"
    assert FundraisingGoal.objects.get().raised_minor == 2500
    assert receipts(donation).count() == 1

    # Mollie calls again (it does, for every change): nothing changes.
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg", method="GET").respond_with_json(
        payment_json("paid")
    )
    assert webhook(client).json()["moved"] == 0
    assert FundraisingGoal.objects.get().raised_minor == 2500


def test_a_webhook_for_a_payment_mollie_does_not_know_is_refused(client, mollie_api, initiative):
    # An id we never saw may be a month of a subscription, so it is asked about; Mollie says 404.
    mollie_api.expect_oneshot_request("/v2/payments/tr_forged", method="GET").respond_with_json(
        {"status": 404, "title": "Not Found", "detail": "No payment exists with token tr_forged."},
        status=404,
    )
    response = webhook(client, "tr_forged")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert len(mollie_api.log) == 1
    assert not Donation.objects.exists()


def test_a_webhook_with_an_id_that_is_no_mollie_payment_id_is_refused_without_asking(
    client, mollie_api, initiative
):
    response = webhook(client, "../customers")
    assert response.status_code == 400
    assert not mollie_api.log


def test_a_forged_paid_webhook_changes_nothing_because_the_status_comes_from_mollie(
    client, mollie_api, initiative
):
    _, donation = start(client, mollie_api, initiative)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg", method="GET").respond_with_json(
        payment_json("open")
    )

    webhook(client)

    donation.refresh_from_db()
    assert donation.state == "pending"


def test_canceled_payment_fails(client, mollie_api, initiative):
    _, donation = start(client, mollie_api, initiative)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(
        payment_json("canceled")
    )
    webhook(client)
    donation.refresh_from_db()
    assert donation.state == "failed"


def test_mollie_down_answers_502_so_that_mollie_retries(client, mollie_api, initiative):
    _, donation = start(client, mollie_api, initiative)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_data("oops", status=500)
    assert webhook(client).status_code == 502
    donation.refresh_from_db()
    assert donation.state == "pending"


def test_monthly_gift_creates_a_customer_for_the_mandate(client, mollie_api, initiative):
    mollie_api.expect_oneshot_request("/v2/customers", method="POST").respond_with_json(
        {"resource": "customer", "id": "cst_8wmqcHMN4U", "name": "Vera", "email": "vera@example.org"},
        status=201,
    )
    _, donation = start(client, mollie_api, initiative, monthly="on")

    payment = mollie_api.log[1][0].get_json()
    assert payment["sequenceType"] == "first" and payment["customerId"] == "cst_8wmqcHMN4U"
    assert donation.recurring_ref == "cst_8wmqcHMN4U"


def test_refund_through_mollie_and_a_refund_seen_in_the_webhook(
    client, client_as, owner, mollie_api, initiative, goal
):
    _, donation = start(client, mollie_api, initiative)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(payment_json("paid"))
    webhook(client)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(payment_json("paid"))
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg/refunds", method="POST").respond_with_json(
        {
            "resource": "refund",
            "id": "re_4qqhO89gsT",
            "amount": {"value": "25.00", "currency": "EUR"},
            "status": "pending",
        },
        status=201,
    )

    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]))

    donation.refresh_from_db()
    assert donation.state == "refunded"
    assert mollie_api.log[-1][0].get_json()["amount"] == {"value": "25.00", "currency": "EUR"}
    assert FundraisingGoal.objects.get().raised_minor == 0


def test_a_refund_made_at_mollie_arrives_through_the_webhook(client, mollie_api, initiative):
    _, donation = start(client, mollie_api, initiative)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(payment_json("paid"))
    webhook(client)
    refunded = payment_json("paid", amountRefunded={"value": "25.00", "currency": "EUR"})
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(refunded)
    webhook(client)
    donation.refresh_from_db()
    assert donation.state == "refunded"
