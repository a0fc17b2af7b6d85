"""Pledges through the web: the donate form, the states, the owner marking paid, the receipt, the ledger."""

import pytest
from django.urls import reverse

from samen.giving import actions
from samen.giving.models import Donation, FundraisingGoal
from samen.impact.models import Contribution

from .conftest import donate_form, receipts

pytestmark = pytest.mark.django_db


def give_url(initiative):
    return reverse("giving:give", args=[initiative.slug])


def test_a_visitor_pledges_and_it_counts_toward_the_goal_at_once(client, initiative, goal):
    response = client.post(give_url(initiative), donate_form(amount="12.50"))

    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == donation.get_absolute_url()
    assert (donation.amount_minor, donation.currency, donation.state) == (1250, "EUR", "pending")
    assert donation.provider == "pledge"
    goal.refresh_from_db()
    assert (goal.raised_minor, goal.supporter_count) == (1250, 1)
    page = client.get(donation.get_absolute_url())
    assert b"Thank you for your pledge" in page.content
    # Nothing is paid yet: no receipt and no ledger line.
    assert not receipts(donation).exists()
    assert not Contribution.objects.exists()


def test_the_give_page_shows_the_goal_progress_and_supporters(client, initiative, goal):
    client.post(give_url(initiative), donate_form(amount="100", name="Vera Visitor"))
    client.post(
        give_url(initiative), donate_form(amount="50", name="Secret Sam", anonymous="on", message="psst")
    )

    page = client.get(give_url(initiative)).content.decode()
    assert "Vera Visitor" in page
    assert "Secret Sam" not in page and "psst" not in page
    assert "Anonymous" in page
    # €150 of €1,000, all promised: drawn hatched from the left, none of it solid, and said in words.
    assert "€0.00 received and €150.00 promised, of €1,000.00 (15%)" in page
    assert '<rect class="promised" x="0.0" y="0" width="150.0"' in page and 'class="received"' not in page
    assert "2 supporters" in page


@pytest.mark.parametrize(
    ("amount", "currency"), [("0.99", "EUR"), ("10000.01", "EUR"), ("999", "UGX"), ("12.345", "EUR")]
)
def test_amounts_out_of_bounds_are_refused_and_nothing_is_stored(client, initiative, amount, currency):
    response = client.post(give_url(initiative), donate_form(amount=amount, currency=currency))

    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Donation.objects.exists()


def test_the_owner_marks_a_pledge_paid_and_the_receipt_and_ledger_follow(client_as, owner, initiative, goal):
    client_as(None).post(give_url(initiative), donate_form(amount="40", monthly="on"))
    donation = Donation.objects.get()
    assert donation.monthly

    response = client_as(owner).post(
        reverse("giving:donation_action", args=[initiative.slug, donation.pk, "paid"])
    )

    assert response.status_code == 302
    donation.refresh_from_db()
    assert donation.state == "succeeded" and donation.succeeded_at
    receipt = receipts(donation).get()
    assert receipt.to == "vera@example.org"
    assert "€40.00" in receipt.body and "every month" in receipt.body
    line = Contribution.objects.get(source="giving.donation", source_ref=str(donation.pk))
    assert (line.kind, line.amount_minor, line.currency, line.initiative_id) == (
        "money",
        4000,
        "EUR",
        initiative.pk,
    )
    goal.refresh_from_db()
    assert goal.raised_minor == 4000  # a pledge already counted; paying it does not count it twice

    # Twice changes nothing.
    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "paid"]))
    assert receipts(donation).count() == 1
    assert Contribution.objects.count() == 1


def test_an_unpaid_pledge_stops_counting(client_as, owner, initiative, goal):
    client_as(None).post(give_url(initiative), donate_form(amount="40"))
    donation = Donation.objects.get()

    client_as(owner).post(reverse("giving:donation_action", args=[initiative.slug, donation.pk, "unpaid"]))

    donation.refresh_from_db()
    goal.refresh_from_db()
    assert donation.state == "failed"
    assert (goal.raised_minor, goal.supporter_count) == (0, 0)


def test_states_never_go_backwards(initiative, goal):
    donation, _ = actions.create_donation(
        initiative, amount_minor=1000, currency="EUR", email="a@example.org"
    )
    assert actions.mark_paid(donation)

    assert not actions.transition(donation, "pending")
    assert not actions.transition(donation, "failed")
    assert not actions.transition(donation, "succeeded")
    assert actions.refund(donation)
    assert not actions.transition(donation, "succeeded")
    donation.refresh_from_db()
    goal.refresh_from_db()
    assert donation.state == "refunded"
    assert goal.raised_minor == 0


def test_a_failed_pledge_cannot_be_paid_later(initiative):
    donation, _ = actions.create_donation(
        initiative, amount_minor=1000, currency="EUR", email="a@example.org"
    )
    actions.mark_unpaid(donation)

    assert not actions.mark_paid(donation)
    donation.refresh_from_db()
    assert donation.state == "failed"


def test_a_new_goal_counts_what_was_already_given(client_as, owner, initiative):
    client_as(None).post(give_url(initiative), donate_form(amount="30"))

    response = client_as(owner).post(
        reverse("giving:goal", args=[initiative.slug]),
        {"amount": "500", "currency": "EUR", "deadline": "2030-01-01T12:00"},
    )

    assert response.status_code == 302
    goal = FundraisingGoal.objects.get(initiative=initiative)
    assert (goal.amount_minor, goal.raised_minor, goal.supporter_count) == (50000, 3000, 1)


def test_a_closed_initiative_takes_no_gifts(client, initiative):
    initiative.set_status("closed")

    response = client.post(give_url(initiative), donate_form())

    assert response.status_code == 200
    assert "does not take gifts" in response.content.decode()
    assert not Donation.objects.exists()


def test_the_owner_downloads_donations_as_csv(client_as, owner, initiative):
    client_as(None).post(give_url(initiative), donate_form(amount="12.50", name="=HYPERLINK(1)"))

    response = client_as(owner).get(reverse("giving:donations_csv", args=[initiative.slug]))

    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    header, row = body.splitlines()[:2]
    assert header.startswith("id,created_at,state,amount_minor,currency,amount")
    assert ",pending,1250,EUR,12.50,pledge," in row
    assert "'=HYPERLINK(1)" in row
