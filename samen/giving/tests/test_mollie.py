"""Mollie against a local server: a payment, and a webhook whose task fetches the status back with the official client."""

import threading
import time
from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone
from werkzeug import Response

from samen.giving import tasks
from samen.giving.models import Donation, FundraisingGoal
from samen.giving.providers import mollie

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


def webhook(client, payment_id="tr_WDqYK6vllg", path=None):
    return client.post(path or reverse("giving:webhook", args=["mollie"]), {"id": payment_id})


@pytest.fixture
def deferred_tasks(settings):
    """A task backend that only records what is enqueued, as a real queue would until a worker runs."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


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
    assert webhook(client).status_code == 200
    assert FundraisingGoal.objects.get().raised_minor == 2500
    assert receipts(donation).count() == 1


def test_the_webhook_answers_at_once_and_a_task_fetches_the_payment(
    client, mollie_api, initiative, goal, deferred_tasks
):
    _, donation = start(client, mollie_api, initiative)
    calls_before = len(mollie_api.log)

    answer = webhook(client)

    # Nothing was asked of Mollie on the request thread: one fetch waits in the queue.
    assert answer.status_code == 200
    assert answer.json()["queued"] == 1
    assert len(mollie_api.log) == calls_before
    [queued] = deferred_tasks.results
    assert queued.task.func is tasks.fetch_payment.func
    assert queued.args == ["tr_WDqYK6vllg", "mollie", ""]

    # The worker runs it: one GET, and the donation moves.
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg", method="GET").respond_with_json(
        payment_json("paid")
    )
    assert tasks.fetch_payment.call(*queued.args) == 1
    assert len(mollie_api.log) == calls_before + 1
    donation.refresh_from_db()
    assert donation.state == "succeeded"
    assert FundraisingGoal.objects.get().raised_minor == 2500

    # The same task run again (a retry, a second worker) moves nothing and counts nothing twice.
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg", method="GET").respond_with_json(
        payment_json("paid")
    )
    assert tasks.fetch_payment.call(*queued.args) == 0
    assert FundraisingGoal.objects.get().raised_minor == 2500
    assert receipts(donation).count() == 1


@pytest.mark.parametrize("payment_id", ["tr_forged", "tr_WDqYK6vllX"])
def test_a_webhook_for_a_payment_id_samen_did_not_make_asks_mollie_nothing(
    client, mollie_api, initiative, deferred_tasks, payment_id
):
    # Posting made-up ids must not make Samen call Mollie (or hold a request thread while it does).
    start(client, mollie_api, initiative)
    calls_before = len(mollie_api.log)

    response = webhook(client, payment_id)

    assert response.status_code == 200  # answered like any other: nothing to learn, nothing to retry
    assert response.json()["queued"] == 0
    assert deferred_tasks.results == []
    assert len(mollie_api.log) == calls_before
    assert Donation.objects.count() == 1


def test_many_pings_for_one_payment_wait_as_one_fetch(client, mollie_api, initiative, settings):
    from django_tasks_db.models import DBTaskResult

    start(client, mollie_api, initiative)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    for _ in range(5):
        assert webhook(client).status_code == 200
    assert DBTaskResult.objects.filter(task_path=tasks.fetch_payment.module_path).count() == 1


def test_a_slow_mollie_holds_the_task_a_short_while_and_it_tries_again_later(
    client, mollie_api, initiative, deferred_tasks, monkeypatch
):
    _, donation = start(client, mollie_api, initiative)
    webhook(client)
    [queued] = deferred_tasks.results
    deferred_tasks.clear()
    monkeypatch.setattr(mollie, "FETCH_TIMEOUT_SECONDS", 0.1)

    answered = threading.Event()

    def slow(request):
        time.sleep(0.4)
        answered.set()
        return Response("{}", content_type="application/json")

    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_handler(slow)
    started = time.monotonic()
    assert tasks.fetch_payment.call(*queued.args) == 0
    assert time.monotonic() - started < 0.35  # gave up at the timeout, not when Mollie answered

    [retry] = deferred_tasks.results
    assert retry.args == ["tr_WDqYK6vllg", "mollie", "", 2]
    assert retry.task.run_after > timezone.now() + tasks.retry_delay(1) - timedelta(seconds=5)
    donation.refresh_from_db()
    assert donation.state == "pending"
    # The stand-in logs the request once its answer is sent: wait for that, or it lands in the
    # next test's log.
    assert answered.wait(5)
    deadline = time.monotonic() + 5
    while not any(entry[0].path.endswith("tr_WDqYK6vllg") for entry in mollie_api.log):
        assert time.monotonic() < deadline, "the stand-in never logged the slow request"
        time.sleep(0.01)


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


def test_mollie_down_is_retried_by_the_task_not_by_mollie(client, mollie_api, initiative, deferred_tasks):
    _, donation = start(client, mollie_api, initiative)
    assert webhook(client).status_code == 200
    [queued] = deferred_tasks.results
    deferred_tasks.clear()

    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_data("oops", status=500)
    assert tasks.fetch_payment.call(*queued.args) == 0
    donation.refresh_from_db()
    assert donation.state == "pending"
    [retry] = deferred_tasks.results
    assert retry.args == ["tr_WDqYK6vllg", "mollie", "", 2]

    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(payment_json("paid"))
    assert tasks.fetch_payment.call(*retry.args) == 1
    donation.refresh_from_db()
    assert donation.state == "succeeded"


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
