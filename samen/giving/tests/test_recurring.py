# ruff: noqa: F811 - pytest fixtures imported from the provider tests are used by name as arguments
"""Monthly gifts after the first month: Stripe invoices and Mollie subscription payments become donations.

Both providers stand behind a local server; Stripe webhooks are signed with the stripe library's own
code, and Mollie's are checked by fetching the payment back with the official client.
"""

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from samen.giving import actions, providers
from samen.giving.models import Campaign, Donation, FundraisingGoal, Promoter
from samen.impact import ledger
from samen.impact.models import Contribution
from samen.messaging.models import OutboundMessage

from .conftest import donate_form, receipts
from .test_mollie import mollie_api, payment_json  # noqa: F401
from .test_mollie import webhook as mollie_webhook
from .test_stripe import event, post_webhook, session_json, stripe_api  # noqa: F401

pytestmark = pytest.mark.django_db


# --- Stripe ---------------------------------------------------------------------------------------


def invoice(
    invoice_id="in_3",
    *,
    billing_reason="subscription_cycle",
    subscription="sub_9",
    amount_paid=1000,
    payment_intent="pi_month3",
    **extra,
):
    """An invoice as Stripe sends it in API versions before 2025-03-31 (subscription at the top)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": billing_reason,
        "subscription": subscription,
        "customer": "cus_1",
        "customer_email": "vera@example.org",
        "amount_due": amount_paid,
        "amount_paid": amount_paid,
        "currency": "eur",
        "payment_intent": payment_intent,
        "status": "paid",
        "paid": True,
        **extra,
    }


def basil_invoice(invoice_id="in_4", subscription="sub_9", amount_paid=1000):
    """The same from 2025-03-31 on: the subscription under parent, no payment_intent field."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": subscription},
        },
        "customer": "cus_1",
        "customer_email": "vera@example.org",
        "amount_paid": amount_paid,
        "currency": "eur",
        "status": "paid",
    }


@pytest.fixture
def stripe_monthly(client_as, member, stripe_api, initiative, goal):
    """Mia gives €10 a month through Stripe; the first month is paid through Checkout."""
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        session_json()
    )
    browser = client_as(member)
    browser.post(
        reverse("giving:give", args=[initiative.slug]),
        donate_form(provider="stripe", amount="10", monthly="on", email=member.email, name=member.name),
    )
    donation = Donation.objects.get()
    paid = session_json(
        payment_status="paid", client_reference_id=str(donation.public_id), subscription="sub_9"
    )
    post_webhook(browser, event("checkout.session.completed", paid, "evt_checkout"))
    donation.refresh_from_db()
    assert (donation.state, donation.recurring_ref) == ("succeeded", "sub_9")
    return donation


def test_the_third_month_becomes_a_donation_with_receipt_ledger_line_and_totals(
    client, stripe_monthly, member, initiative, goal
):
    response = post_webhook(client, event("invoice.paid", invoice(), "evt_month3"))

    assert response.status_code == 200 and response.json()["moved"] == 1
    child = Donation.objects.get(parent=stripe_monthly)
    assert (child.state, child.amount_minor, child.currency) == ("succeeded", 1000, "EUR")
    assert (child.provider, child.provider_ref, child.member, child.email) == (
        "stripe",
        "pi_month3",
        member,
        member.email,
    )
    assert child.initiative == initiative and child.succeeded_at is not None
    assert receipts(child).count() == 1
    assert "every month" in receipts(child).get().body
    line = Contribution.objects.get(source="giving.donation", source_ref=str(child.pk))
    assert (line.member, line.amount_minor, line.currency) == (member, 1000, "EUR")
    assert line.description == f"Monthly donation to {initiative.title}"
    goal.refresh_from_db()
    # The money counts again; the supporter does not.
    assert (goal.raised_minor, goal.supporter_count) == (2000, 1)
    assert ledger.totals_for_member(member).money == {"EUR": 2000}
    assert ledger.totals_for_initiative(initiative).money == {"EUR": 2000}
    assert "A monthly payment of the gift you started on" in client.get(child.get_absolute_url()).text


def test_the_team_sees_later_months_as_monthly_payments(client, client_as, owner, stripe_monthly, initiative):
    post_webhook(client, event("invoice.paid", invoice(), "evt_month3"))

    page = client_as(owner).get(reverse("giving:donations", args=[initiative.slug])).text

    assert page.count("€10.00 · monthly payment") == 1
    assert page.count("€10.00 · monthly<") + page.count("€10.00 · monthly (") == 1


def test_the_first_invoice_is_the_checkout_payment_and_makes_no_second_donation(client, stripe_monthly, goal):
    first = invoice("in_1", billing_reason="subscription_create", payment_intent="pi_first")
    for kind, event_id in [("invoice.paid", "evt_first"), ("invoice.payment_succeeded", "evt_first_2")]:
        response = post_webhook(client, event(kind, first, event_id))
        assert response.status_code == 200 and response.json()["moved"] == 0

    assert Donation.objects.count() == 1
    goal.refresh_from_db()
    assert goal.raised_minor == 1000


def test_a_repeated_delivery_and_the_twin_event_make_no_second_donation(client, stripe_monthly, goal):
    post_webhook(client, event("invoice.paid", invoice(), "evt_month3"))
    again = post_webhook(client, event("invoice.paid", invoice(), "evt_month3"))
    # Stripe also sends invoice.payment_succeeded, with its own event id, for the same invoice.
    twin = post_webhook(client, event("invoice.payment_succeeded", invoice(), "evt_month3_twin"))

    assert again.json()["moved"] == 0 and twin.json()["moved"] == 0
    assert Donation.objects.filter(parent=stripe_monthly).count() == 1
    assert Contribution.objects.count() == 2
    assert OutboundMessage.objects.filter(idempotency_key__startswith="giving.receipt:").count() == 2
    goal.refresh_from_db()
    assert goal.raised_minor == 2000


def test_newer_api_versions_put_the_subscription_under_parent(client, stripe_monthly, goal):
    response = post_webhook(client, event("invoice.paid", basil_invoice(amount_paid=1500), "evt_basil"))

    assert response.json()["moved"] == 1
    child = Donation.objects.get(parent=stripe_monthly)
    # No payment intent in the event: the invoice id identifies the payment.
    assert (child.provider_ref, child.amount_minor) == ("in_4", 1500)
    goal.refresh_from_db()
    assert goal.raised_minor == 2500


@pytest.mark.parametrize("tamper", [{"secret": "whsec_wrong"}, {"timestamp": 1_000_000_000}])
def test_a_forged_invoice_webhook_is_refused_and_stores_nothing(client, stripe_monthly, goal, tamper):
    response = post_webhook(client, event("invoice.paid", invoice(), "evt_forged"), **tamper)

    assert response.status_code == 400
    assert Donation.objects.count() == 1
    goal.refresh_from_db()
    assert goal.raised_minor == 1000


def test_an_invoice_of_a_subscription_that_is_not_ours_changes_nothing(client, stripe_monthly):
    response = post_webhook(client, event("invoice.paid", invoice(subscription="sub_other"), "evt_x"))

    assert response.status_code == 200 and response.json()["moved"] == 0
    assert Donation.objects.count() == 1


def test_a_later_month_counts_for_the_initiative_but_not_for_a_campaign_that_has_ended(
    client,
    stripe_api,
    initiative,
    goal,
    campaign,
    promoter,
):
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        session_json()
    )
    parent, _ = actions.create_donation(
        initiative,
        amount_minor=1000,
        currency="EUR",
        email="vera@example.org",
        provider="stripe",
        monthly=True,
        promoter=promoter,
    )
    done = session_json(
        payment_status="paid", client_reference_id=str(parent.public_id), subscription="sub_9"
    )
    post_webhook(client, event("checkout.session.completed", done, "evt_checkout"))

    # During the campaign a repeat counts for it too (a campaign can outlast a month).
    post_webhook(client, event("invoice.paid", invoice("in_2", payment_intent="pi_2"), "evt_2"))
    during = Donation.objects.get(provider_ref="pi_2")
    assert (during.campaign, during.promoter) == (campaign, promoter)

    with time_machine.travel(campaign.ends_at + timedelta(days=30), tick=False):
        post_webhook(client, event("invoice.paid", invoice("in_3", payment_intent="pi_3"), "evt_3"))
    after = Donation.objects.get(provider_ref="pi_3")
    assert (after.state, after.campaign, after.project, after.promoter) == ("succeeded", None, None, None)

    campaign = Campaign.objects.get()
    assert (campaign.raised_minor, campaign.donation_count) == (2000, 2)
    assert Promoter.objects.get().raised_minor == 2000
    assert FundraisingGoal.objects.get().raised_minor == 3000


def test_a_cancelled_subscription_is_shown_as_stopped(client, client_as, owner, stripe_monthly, initiative):
    ended_at = int(timezone.now().timestamp())
    subscription = {
        "id": "sub_9",
        "object": "subscription",
        "status": "canceled",
        "canceled_at": ended_at,
        "ended_at": ended_at,
    }

    post_webhook(client, event("customer.subscription.deleted", subscription, "evt_end"))
    post_webhook(client, event("customer.subscription.deleted", subscription, "evt_end"))

    stripe_monthly.refresh_from_db()
    assert stripe_monthly.recurring_ended_at is not None
    assert int(stripe_monthly.recurring_ended_at.timestamp()) == ended_at
    assert "Your monthly gift stopped on" in client.get(stripe_monthly.get_absolute_url()).text
    team_page = client_as(owner).get(reverse("giving:donations", args=[initiative.slug])).text
    assert "stopped on" in team_page


def test_a_later_month_refunded_at_stripe_is_taken_back_once(client, stripe_monthly, member, goal):
    post_webhook(client, event("invoice.paid", invoice(), "evt_month3"))
    child = Donation.objects.get(parent=stripe_monthly)
    charge = {
        "id": "ch_3",
        "object": "charge",
        "refunded": True,
        "payment_intent": "pi_month3",
        "metadata": {},
    }

    first = post_webhook(client, event("charge.refunded", charge, "evt_refund"))
    again = post_webhook(client, event("charge.refunded", charge, "evt_refund"))

    assert first.json()["moved"] == 1 and again.json()["moved"] == 0
    child.refresh_from_db()
    stripe_monthly.refresh_from_db()
    assert (child.state, stripe_monthly.state) == ("refunded", "succeeded")
    reversal = Contribution.objects.get(source_ref=f"{child.pk}:refund")
    assert reversal.amount_minor == -1000
    assert Contribution.objects.filter(reverses__isnull=False).count() == 1
    assert ledger.totals_for_member(member).money == {"EUR": 1000}
    goal.refresh_from_db()
    assert (goal.raised_minor, goal.supporter_count) == (1000, 1)


# --- Mollie ---------------------------------------------------------------------------------------

CUSTOMER = "cst_8wmqcHMN4U"
SUBSCRIPTION = "sub_rVKGtNd6s3"


def subscription_json(**extra):
    return {
        "resource": "subscription",
        "id": SUBSCRIPTION,
        "customerId": CUSTOMER,
        "mode": "test",
        "status": "active",
        "amount": {"value": "10.00", "currency": "EUR"},
        "interval": "1 month",
        "description": "Monthly donation",
        **extra,
    }


def empty_list(name):
    return {"count": 0, "_embedded": {name: []}, "_links": {"next": None, "previous": None}}


def month_json(payment_id="tr_month2", status="paid", customer=CUSTOMER, subscription=SUBSCRIPTION):
    """A payment Mollie made on its own for a subscription."""
    return payment_json(
        status,
        payment_id,
        amount={"value": "10.00", "currency": "EUR"},
        sequenceType="recurring",
        customerId=customer,
        subscriptionId=subscription,
        mandateId="mdt_pWUnw6pkBN",
        description="Monthly donation",
        _links={},
    )


@pytest.fixture
def mollie_first(client_as, member, mollie_api, initiative, goal):
    """Mia starts a €10 monthly gift through Mollie; the first payment makes the mandate."""
    mollie_api.expect_oneshot_request("/v2/customers", method="POST").respond_with_json(
        {"resource": "customer", "id": CUSTOMER, "name": member.name, "email": member.email}, status=201
    )
    mollie_api.expect_oneshot_request("/v2/payments", method="POST").respond_with_json(
        payment_json(amount={"value": "10.00", "currency": "EUR"}), status=201
    )
    client_as(member).post(
        reverse("giving:give", args=[initiative.slug]),
        donate_form(provider="mollie", amount="10", monthly="on", email=member.email, name=member.name),
    )
    donation = Donation.objects.get()
    assert (donation.recurring_ref, donation.provider_ref) == (CUSTOMER, "tr_WDqYK6vllg")
    return donation


def first_paid():
    return payment_json(
        "paid",
        amount={"value": "10.00", "currency": "EUR"},
        sequenceType="first",
        customerId=CUSTOMER,
        webhookUrl="https://samen.example.org/give/webhooks/mollie/",
    )


def expect_first_paid_and_a_new_subscription(mollie_api):
    """Mollie says the first payment is paid, the customer has no subscription, and makes one."""
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(first_paid())
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions", method="GET"
    ).respond_with_json(empty_list("subscriptions"))
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions", method="POST"
    ).respond_with_json(subscription_json(), status=201)


@pytest.fixture
def mollie_monthly(client, mollie_api, mollie_first):
    expect_first_paid_and_a_new_subscription(mollie_api)
    assert mollie_webhook(client).status_code == 200
    mollie_first.refresh_from_db()
    assert mollie_first.subscription_ref == SUBSCRIPTION
    return mollie_first


@pytest.fixture
def gift_path(mollie_api, mollie_monthly):
    """Where Mollie calls for the subscription's payments: the webhookUrl Samen gave it (path and query)."""
    made = next(
        request
        for request, _ in mollie_api.log
        if request.path.endswith("/subscriptions") and request.method == "POST"
    )
    url = urlsplit(made.get_json()["webhookUrl"])
    return f"{url.path}?{url.query}"


def test_the_paid_first_payment_starts_a_monthly_subscription_at_mollie(
    client, mollie_api, mollie_first, initiative, goal
):
    expect_first_paid_and_a_new_subscription(mollie_api)

    # Paid on 31 January: the next charge is due on the last day of February.
    with time_machine.travel(datetime(2027, 1, 31, 10, 0, tzinfo=UTC), tick=False):
        assert mollie_webhook(client).status_code == 200

    sent = mollie_api.log[-1][0]
    assert sent.path == f"/v2/customers/{CUSTOMER}/subscriptions"
    assert sent.headers["Idempotency-Key"] == f"samen-subscription-{mollie_first.public_id}"
    body = sent.get_json()
    assert body["amount"] == {"currency": "EUR", "value": "10.00"}
    assert body["interval"] == "1 month"
    # This month is paid: Mollie charges from the start date, so the subscription starts next month.
    assert body["startDate"] == "2027-02-28"
    # The first payment's webhook URL, with the gift's signed public id: the months are checked by it.
    webhook_url = urlsplit(body["webhookUrl"])
    assert webhook_url[:3] == ("https", "samen.example.org", "/give/webhooks/mollie/")
    [gift] = parse_qs(webhook_url.query)["gift"]
    assert gift.startswith(f"{mollie_first.public_id}:")
    assert body["description"] == f"Monthly donation to {initiative.title}"
    assert body["metadata"] == {"donation": str(mollie_first.public_id)}
    mollie_first.refresh_from_db()
    assert (mollie_first.state, mollie_first.subscription_ref) == ("succeeded", SUBSCRIPTION)
    goal.refresh_from_db()
    assert goal.raised_minor == 1000

    # Mollie calls again for the same payment: no second subscription is asked for.
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(first_paid())
    requests_before = len(mollie_api.log)
    assert mollie_webhook(client).status_code == 200
    assert len(mollie_api.log) == requests_before + 1
    assert mollie_api.log[-1][0].method == "GET"
    goal.refresh_from_db()
    assert goal.raised_minor == 1000


def test_mollie_refusing_the_subscription_leaves_the_gift_pending_and_the_next_try_does_both(
    client, mollie_api, mollie_first, goal
):
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(first_paid())
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions", method="GET"
    ).respond_with_json(empty_list("subscriptions"))
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions", method="POST"
    ).respond_with_json({"status": 503, "title": "Service Unavailable", "detail": "Try later"}, status=503)

    assert mollie_webhook(client).status_code == 200  # the fetch failed in its task, not here
    mollie_first.refresh_from_db()
    assert (mollie_first.state, mollie_first.subscription_ref) == ("pending", "")

    # The retry finds the subscription made meanwhile (say the 503 came after it was made).
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(first_paid())
    made = subscription_json(metadata={"donation": str(mollie_first.public_id)})
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions", method="GET"
    ).respond_with_json(
        {"count": 1, "_embedded": {"subscriptions": [made]}, "_links": {"next": None, "previous": None}}
    )
    assert mollie_webhook(client).status_code == 200
    assert mollie_api.log[-1][0].method == "GET"  # reused, not made twice
    mollie_first.refresh_from_db()
    assert (mollie_first.state, mollie_first.subscription_ref) == ("succeeded", SUBSCRIPTION)


def test_a_subscription_payment_becomes_one_donation_however_often_mollie_calls(
    client, mollie_api, mollie_monthly, gift_path, member, initiative, goal
):
    for _ in range(2):
        mollie_api.expect_oneshot_request("/v2/payments/tr_month2", method="GET").respond_with_json(
            month_json()
        )
        response = mollie_webhook(client, "tr_month2", gift_path)
        assert response.status_code == 200

    child = Donation.objects.get(parent=mollie_monthly)
    assert (child.state, child.amount_minor, child.currency, child.provider_ref) == (
        "succeeded",
        1000,
        "EUR",
        "tr_month2",
    )
    assert child.member == member
    assert receipts(child).count() == 1
    assert Contribution.objects.filter(source_ref=str(child.pk), amount_minor=1000).count() == 1
    goal.refresh_from_db()
    assert (goal.raised_minor, goal.supporter_count) == (2000, 1)
    assert ledger.totals_for_member(member).money == {"EUR": 2000}


def test_a_subscription_payment_not_yet_paid_is_stored_once_it_is(
    client, mollie_api, mollie_monthly, gift_path, goal
):
    mollie_api.expect_oneshot_request("/v2/payments/tr_month2").respond_with_json(
        month_json(status="pending")
    )
    assert mollie_webhook(client, "tr_month2", gift_path).status_code == 200
    assert not Donation.objects.filter(parent=mollie_monthly).exists()

    mollie_api.expect_oneshot_request("/v2/payments/tr_month2").respond_with_json(month_json())
    assert mollie_webhook(client, "tr_month2", gift_path).status_code == 200
    assert Donation.objects.filter(parent=mollie_monthly).count() == 1


def test_an_unknown_payment_id_that_mollie_does_not_know_changes_nothing(
    client, mollie_api, mollie_monthly, gift_path, goal
):
    mollie_api.expect_oneshot_request("/v2/payments/tr_unknown1").respond_with_json(
        {"status": 404, "title": "Not Found", "detail": "No payment exists with token tr_unknown1."},
        status=404,
    )

    response = mollie_webhook(client, "tr_unknown1", gift_path)

    assert response.status_code == 200
    assert mollie_api.log[-1][0].path == "/v2/payments/tr_unknown1"
    assert Donation.objects.count() == 1
    goal.refresh_from_db()
    assert goal.raised_minor == 1000


@pytest.mark.parametrize(
    "query",
    [
        "",  # the plain webhook URL: an id we never made is not asked about
        "?gift=",
        "?gift=00000000-0000-4000-8000-000000000000:forgedsignature",
    ],
)
def test_an_id_we_never_made_outside_a_gifts_own_url_is_not_asked_about(
    client, mollie_api, mollie_monthly, query
):
    requests_before = len(mollie_api.log)

    response = mollie_webhook(client, "tr_month2", reverse("giving:webhook", args=["mollie"]) + query)

    assert response.status_code == 200
    assert len(mollie_api.log) == requests_before
    assert Donation.objects.count() == 1


@pytest.mark.parametrize(
    "owner_of_payment",
    [
        {"customer": "cst_someoneelse", "subscription": SUBSCRIPTION},
        {"customer": CUSTOMER, "subscription": "sub_notours"},
        {"customer": None, "subscription": None},  # a one-off payment of another shop on our account
    ],
)
def test_a_paid_payment_that_belongs_to_no_subscription_of_ours_is_refused(
    client, mollie_api, mollie_monthly, gift_path, owner_of_payment
):
    mollie_api.expect_oneshot_request("/v2/payments/tr_elsewhere").respond_with_json(
        month_json("tr_elsewhere", **owner_of_payment)
    )

    response = mollie_webhook(client, "tr_elsewhere", gift_path)

    assert response.status_code == 200
    assert mollie_api.log[-1][0].path == "/v2/payments/tr_elsewhere"
    assert Donation.objects.count() == 1


def test_a_refunded_subscription_payment_is_taken_back_in_the_ledger_once(
    client, mollie_api, mollie_monthly, gift_path, member, initiative
):
    mollie_api.expect_oneshot_request("/v2/payments/tr_month2").respond_with_json(month_json())
    mollie_webhook(client, "tr_month2", gift_path)
    refunded = month_json()
    refunded["amountRefunded"] = {"value": "10.00", "currency": "EUR"}
    for _ in range(2):
        mollie_api.expect_oneshot_request("/v2/payments/tr_month2").respond_with_json(refunded)
        mollie_webhook(client, "tr_month2", gift_path)

    child = Donation.objects.get(parent=mollie_monthly)
    assert child.state == "refunded"
    assert Contribution.objects.filter(reverses__isnull=False).count() == 1
    assert ledger.totals_for_member(member).money == {"EUR": 1000}
    assert ledger.totals_for_initiative(initiative).money == {"EUR": 1000}


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_payment_at_the_same_moment_make_one_donation(initiative, goal):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so there is no race to lose")
    parent = Donation.objects.create(
        initiative=initiative,
        email="vera@example.org",
        amount_minor=1000,
        currency="EUR",
        monthly=True,
        provider="mollie",
        provider_ref="tr_WDqYK6vllg",
        recurring_ref=CUSTOMER,
        subscription_ref=SUBSCRIPTION,
        state="succeeded",
    )
    month = providers.Repeat(
        recurring_ref=CUSTOMER,
        subscription_ref=SUBSCRIPTION,
        provider_ref="tr_month2",
        amount_minor=1000,
        currency="EUR",
    )
    barrier = threading.Barrier(2)
    moved = []

    def deliver():
        try:
            barrier.wait()
            moved.append(actions.apply_webhook("mollie", providers.WebhookResult("", [], repeats=[month])))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(moved) == [0, 1]
    assert Donation.objects.filter(parent=parent).count() == 1
    goal.refresh_from_db()
    assert goal.raised_minor == 1000  # the parent was made by hand here, uncounted: only the repeat
    assert Contribution.objects.count() == 1


# --- Refunds in the ledger ------------------------------------------------------------------------


def test_a_refunded_pledge_drops_out_of_the_member_and_initiative_totals(
    client_as, owner, member, initiative
):
    browser = client_as(member)
    browser.post(reverse("giving:give", args=[initiative.slug]), donate_form(amount="25", email=member.email))
    donation = Donation.objects.get()
    actions.mark_paid(donation)
    assert ledger.totals_for_member(member).money == {"EUR": 2500}

    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]))
    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "refund"]))

    donation.refresh_from_db()
    assert donation.state == "refunded"
    reversal = Contribution.objects.get(source="giving.donation", source_ref=f"{donation.pk}:refund")
    assert (reversal.amount_minor, reversal.currency, reversal.member) == (-2500, "EUR", member)
    assert reversal.reverses == Contribution.objects.get(source_ref=str(donation.pk))
    assert reversal.description == f"Refund of donation to {initiative.title}"
    assert ledger.totals_for_member(member).money == {"EUR": 0}
    assert ledger.totals_for_initiative(initiative).money == {"EUR": 0}

    page = browser.get(reverse("impact:mine")).text
    assert f"Refund of donation to {initiative.title}" in page
    assert "\u2212€25.00" in page


# --- The donor stops their monthly gift -------------------------------------------------------------


def test_the_donor_stops_a_stripe_monthly_gift_from_their_own_page(client, stripe_api, stripe_monthly):
    page = client.get(stripe_monthly.get_absolute_url()).content.decode()
    assert "Stop my monthly gift" in page
    stripe_api.expect_oneshot_request("/v1/subscriptions/sub_9", method="DELETE").respond_with_json(
        {"id": "sub_9", "object": "subscription", "status": "canceled"}
    )

    stop = reverse("giving:stop_monthly", args=[stripe_monthly.public_id])
    answer = client.post(stop, follow=True)

    assert "Your monthly gift is stopped" in answer.content.decode()
    assert stripe_api.log[-1][0].headers["Idempotency-Key"] == f"samen-stop-{stripe_monthly.public_id}"
    stripe_monthly.refresh_from_db()
    assert stripe_monthly.recurring_ended_at is not None
    assert stripe_monthly.state == "succeeded"  # what was given stays given
    assert "Stop my monthly gift" not in answer.content.decode()
    calls = len(stripe_api.log)
    client.post(stop)  # twice: Stripe is not asked again
    assert len(stripe_api.log) == calls


def test_stripe_refusing_to_stop_says_so_and_keeps_the_gift_running(client, stripe_api, stripe_monthly):
    stripe_api.expect_oneshot_request("/v1/subscriptions/sub_9", method="DELETE").respond_with_json(
        {"error": {"type": "api_error", "message": "Something went wrong"}}, status=500
    )
    answer = client.post(reverse("giving:stop_monthly", args=[stripe_monthly.public_id]), follow=True)
    assert "could not be stopped" in answer.content.decode()
    stripe_monthly.refresh_from_db()
    assert stripe_monthly.recurring_ended_at is None


def test_the_donor_stops_a_mollie_monthly_gift(client, mollie_api, mollie_monthly):
    mollie_api.expect_oneshot_request(
        f"/v2/customers/{CUSTOMER}/subscriptions/{SUBSCRIPTION}", method="DELETE"
    ).respond_with_json(subscription_json(status="canceled"))

    client.post(reverse("giving:stop_monthly", args=[mollie_monthly.public_id]))

    mollie_monthly.refresh_from_db()
    assert mollie_monthly.recurring_ended_at is not None
    assert mollie_api.log[-1][0].method == "DELETE"


def test_a_mollie_gift_stopped_before_its_first_payment_is_paid_gets_no_subscription(
    client, mollie_api, mollie_first
):
    client.post(reverse("giving:stop_monthly", args=[mollie_first.public_id]))
    mollie_first.refresh_from_db()
    assert mollie_first.recurring_ended_at is not None
    assert not any(request.method == "DELETE" for request, _response in mollie_api.log)

    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(first_paid())
    assert mollie_webhook(client).status_code == 200
    mollie_first.refresh_from_db()
    assert (mollie_first.state, mollie_first.subscription_ref) == ("succeeded", "")
    assert not any("subscriptions" in request.path for request, _response in mollie_api.log)


def test_only_a_first_monthly_gift_can_be_stopped(client, stripe_api, initiative):
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        session_json()
    )
    client.post(reverse("giving:give", args=[initiative.slug]), donate_form(provider="stripe", amount="10"))
    once = Donation.objects.get()
    answer = client.post(reverse("giving:stop_monthly", args=[once.public_id]), follow=True)
    assert "This is not a monthly gift." in answer.content.decode()
    assert client.get(reverse("giving:stop_monthly", args=[once.public_id])).status_code == 405
