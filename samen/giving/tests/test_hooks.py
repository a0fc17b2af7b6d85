# ruff: noqa: F811 - the Mollie fixture imported from its tests is used by name as an argument
"""A hook never sinks the payment: measuring (outreach's conversions) fails alone, the gift goes on.

The donation's success runs in one transaction: the state, the totals, the ledger line, the receipt
and the outreach conversion. On PostgreSQL one failed statement aborts a whole transaction unless a
savepoint takes it, so a database error in attribution would roll the gift back with it. Here that
error is forced (a statement the database refuses) and the gift must still succeed, with its totals
exactly right. Runs on SQLite and PostgreSQL; it is PostgreSQL that makes it bite.
"""

import pytest
from django.db import connection

from samen.giving import actions
from samen.giving.models import Campaign, Donation, FundraisingGoal, Promoter
from samen.impact.models import Contribution
from samen.outreach import attribution
from samen.outreach.models import Conversion

from .conftest import receipts
from .test_mollie import mollie_api, payment_json  # noqa: F401 - a fixture, used by name
from .test_mollie import webhook as mollie_webhook

pytestmark = pytest.mark.django_db


def refused_statement(*args, **kwargs):
    """What a broken hook does to the database: a statement it refuses."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM outreach_conversion")


@pytest.fixture
def pending(initiative, goal, promoter):
    """A €25 Mollie gift through a promoter, waiting for Mollie to say it is paid."""
    return Donation.objects.create(
        initiative=initiative,
        email="vera@example.org",
        amount_minor=2500,
        currency="EUR",
        provider="mollie",
        provider_ref="tr_WDqYK6vllg",
        campaign=promoter.campaign,
        project=promoter.project,
        promoter=promoter,
        state="pending",
    )


def test_a_database_error_in_attribution_does_not_sink_the_donation(
    client, mollie_api, pending, promoter, monkeypatch, caplog
):
    monkeypatch.setattr(attribution, "_record", refused_statement)
    mollie_api.expect_oneshot_request("/v2/payments/tr_WDqYK6vllg").respond_with_json(payment_json("paid"))

    assert mollie_webhook(client).status_code == 200

    pending.refresh_from_db()
    assert pending.state == "succeeded"
    goal = FundraisingGoal.objects.get()
    assert (goal.raised_minor, goal.supporter_count) == (2500, 1)
    campaign, promoter = Campaign.objects.get(), Promoter.objects.get()
    assert (campaign.raised_minor, campaign.donation_count) == (2500, 1)
    assert (promoter.raised_minor, promoter.donation_count) == (2500, 1)
    assert Contribution.objects.filter(source="giving.donation", source_ref=str(pending.pk)).count() == 1
    assert receipts(pending).count() == 1
    assert not Conversion.objects.exists()  # only the measuring was lost, and it says so
    assert "could not record the donation conversion" in caplog.text


def test_a_database_error_when_withdrawing_the_conversion_does_not_sink_the_refund(pending, monkeypatch):
    assert actions.transition(pending, "succeeded")
    assert Conversion.objects.filter(source="giving.donation", source_ref=str(pending.pk)).exists()
    monkeypatch.setattr(Conversion.objects, "filter", refused_statement)

    assert actions.transition(pending, "refunded")

    pending.refresh_from_db()
    assert pending.state == "refunded"
    goal = FundraisingGoal.objects.get()
    assert (goal.raised_minor, goal.supporter_count) == (0, 0)
    assert Campaign.objects.get().raised_minor == 0
    assert Contribution.objects.filter(reverses__isnull=False).count() == 1
