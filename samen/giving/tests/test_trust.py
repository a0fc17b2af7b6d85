"""Pledges people can trust: received and promised apart, the same everywhere; large anonymous
pledges count only once their e-mail address is confirmed."""

import importlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from samen.giving import actions
from samen.giving.models import Campaign, CampaignProject, Donation, FundraisingGoal, Promoter
from samen.messaging.models import OutboundMessage

from .conftest import donate_form

pytestmark = pytest.mark.django_db

SPLIT = "€{received} received and €{promised} promised"


def totals(model):
    row = model.objects.get()
    return (row.received_minor, row.promised_minor)


def leaderboard(client, campaign):
    url = reverse("giving:leaderboard", args=[campaign.slug])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_received_and_promised_agree_on_every_page(client_as, owner, member, initiative, goal, promoter):
    """A pledge, a pledge marked paid, one marked never paid: every counter and page says the same."""
    pledged, _ = actions.create_donation(
        initiative, amount_minor=3000, currency="EUR", email="a@example.org", promoter=promoter
    )
    paid, _ = actions.create_donation(
        initiative, amount_minor=2000, currency="EUR", email="b@example.org", promoter=promoter
    )
    never, _ = actions.create_donation(
        initiative, amount_minor=700, currency="EUR", email="c@example.org", promoter=promoter
    )
    anonymous = client_as(None)
    before = leaderboard(anonymous, promoter.campaign)
    assert SPLIT.format(received="0.00", promised="57.00") + ", from 3 gifts" in before

    assert actions.mark_paid(paid) and actions.mark_unpaid(never)

    for model in (FundraisingGoal, Campaign, CampaignProject, Promoter):
        assert totals(model) == (2000, 3000), model
    assert FundraisingGoal.objects.get().supporter_count == Campaign.objects.get().donation_count == 2
    campaign = promoter.campaign
    # Marking a pledge paid changes neither the sum nor the count: the cached board still follows.
    board = leaderboard(anonymous, campaign)
    assert board != before
    assert SPLIT.format(received="20.00", promised="30.00") + ", from 2 gifts" in board
    assert "<td>€20.00</td><td>€30.00</td>" in board  # the promoter's row and the project's row
    assert 'class="received"' in board and 'class="promised"' in board  # the ranking bars
    campaign_page = anonymous.get(campaign.get_absolute_url()).content.decode()
    assert SPLIT.format(received="20.00", promised="30.00") + ", from 2 gifts" in campaign_page
    of_target = SPLIT.format(received="20.00", promised="30.00") + ", of €1,000.00 (5%)"
    assert of_target in anonymous.get(reverse("giving:give", args=[initiative.slug])).content.decode()
    assert of_target in anonymous.get(promoter.get_absolute_url()).content.decode()
    listing = anonymous.get(reverse("giving:campaigns")).content.decode()
    assert "€20.00 received, €30.00 promised" in listing
    dashboard = client_as(owner).get(reverse("giving:donations", args=[initiative.slug])).content.decode()
    assert "<td>EUR</td><td>€20.00</td><td>€30.00</td><td>2</td><td>0</td>" in dashboard
    assert of_target in dashboard
    # The API's leaderboard reads the same counters.
    api = anonymous.get(f"/api/campaigns/{campaign.slug}/leaderboard").json()
    assert (api["received_minor"], api["promised_minor"], api["raised_minor"]) == (2000, 3000, 5000)
    assert [(row["received_minor"], row["promised_minor"]) for row in api["promoters"] + api["projects"]] == [
        (2000, 3000),
        (2000, 3000),
    ]


def test_the_data_migration_fills_promised_from_stored_donations(initiative, goal, promoter):
    actions.create_donation(
        initiative, amount_minor=3000, currency="EUR", email="a@example.org", promoter=promoter
    )
    paid, _ = actions.create_donation(initiative, amount_minor=2000, currency="EUR", email="b@example.org")
    actions.mark_paid(paid)
    for model in (FundraisingGoal, Campaign, CampaignProject, Promoter):
        model.objects.update(promised_minor=0)  # as before the migration

    migration = importlib.import_module("samen.giving.migrations.0003_pledge_totals_and_confirmation")
    migration.fill_promised(apps, None)

    assert totals(FundraisingGoal) == (2000, 3000)
    for model in (Campaign, CampaignProject, Promoter):
        assert totals(model) == (0, 3000), model


# --- Confirming large anonymous pledges -----------------------------------------------------------


def confirmations(donation):
    return OutboundMessage.objects.filter(idempotency_key=f"giving.pledge-confirm:{donation.pk}")


def confirm_path(donation) -> str:
    body = confirmations(donation).get().body
    found = re.search(r"/give/pledges/confirm/[^/\s]+/", body)
    assert found, body
    return found.group(0)


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.SAMEN_PLEDGE_CONFIRM_ABOVE = "100"
    settings.SAMEN_PLEDGE_CONFIRM_DAYS = 7


def pledge(client, initiative, promoter, amount):
    give = reverse("giving:give", args=[initiative.slug])
    response = client.post(give, donate_form(amount=amount, promoter=promoter.pk))
    assert response.status_code == 302
    return Donation.objects.latest("id")


def counted(goal, campaign, promoter):
    goal.refresh_from_db()
    campaign.refresh_from_db()
    promoter.refresh_from_db()
    return (goal.raised_minor, goal.supporter_count, campaign.raised_minor, promoter.donation_count)


def test_an_anonymous_pledge_at_the_threshold_counts_at_once(client_as, initiative, goal, campaign, promoter):
    donation = pledge(client_as(None), initiative, promoter, "100")

    assert donation.state == "pending" and not donation.awaiting_confirmation
    assert not confirmations(donation).exists()
    assert counted(goal, campaign, promoter) == (10000, 1, 10000, 1)


def test_a_members_large_pledge_counts_at_once(client_as, outsider, initiative, goal, campaign, promoter):
    donation = pledge(client_as(outsider), initiative, promoter, "500")

    assert donation.state == "pending" and not confirmations(donation).exists()
    assert counted(goal, campaign, promoter) == (50000, 1, 50000, 1)


def test_a_large_anonymous_pledge_counts_once_after_its_email_is_confirmed(
    client_as, initiative, goal, campaign, promoter
):
    client = client_as(None)
    donation = pledge(client, initiative, promoter, "100.01")

    assert (donation.state, donation.awaiting_confirmation) == ("new", True)
    assert counted(goal, campaign, promoter) == (0, 0, 0, 0)
    give_page = client.get(reverse("giving:give", args=[initiative.slug])).content.decode()
    assert "Vera Visitor" not in give_page  # not among the supporters
    assert SPLIT.format(received="0.00", promised="0.00") + ", from 0 gifts" in leaderboard(client, campaign)
    assert "confirm" in client.get(donation.get_absolute_url()).content.decode()
    mail = confirmations(donation).get()
    assert mail.to == "vera@example.org" and "€100.01" in mail.body

    path = confirm_path(donation)
    asked = client.get(path)  # a mail scanner following the link confirms nothing
    assert asked.status_code == 200 and "Confirm my pledge" in asked.content.decode()
    assert counted(goal, campaign, promoter) == (0, 0, 0, 0)

    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == donation.get_absolute_url()
    assert counted(goal, campaign, promoter) == (10001, 1, 10001, 1)
    again = client.post(path)
    assert again.status_code == 200 and "confirmed already" in again.content.decode()
    assert not actions.confirm_pledge(Donation.objects.get(pk=donation.pk))
    assert counted(goal, campaign, promoter) == (10001, 1, 10001, 1)
    assert totals(Promoter) == (0, 10001)
    # The confirmation e-mail went once.
    assert confirmations(donation).count() == 1


def test_a_forged_or_expired_link_gets_a_clear_page_and_counts_nothing(
    client_as, initiative, goal, campaign, promoter
):
    client = client_as(None)
    donation = pledge(client, initiative, promoter, "250")
    path = confirm_path(donation)

    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = client.post(reverse("giving:confirm_pledge", args=[token[:-2] + "xx"]))
    assert forged.status_code == 400 and "not valid" in forged.content.decode()
    other = client.post(reverse("giving:confirm_pledge", args=["not-a-token"]))
    assert other.status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        expired = client.post(path)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert counted(goal, campaign, promoter) == (0, 0, 0, 0)
    donation.refresh_from_db()
    assert (donation.state, donation.awaiting_confirmation) == ("new", True)

    # Within the week it still works.
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert client.post(path).status_code == 302
    assert counted(goal, campaign, promoter) == (25000, 1, 25000, 1)


def test_the_team_sees_a_pledge_awaiting_confirmation_but_no_total_counts_it(
    client_as, owner, initiative, goal, campaign, promoter
):
    pledge(client_as(None), initiative, promoter, "300")

    page = client_as(owner).get(reverse("giving:donations", args=[initiative.slug])).content.decode()
    assert "Awaiting e-mail confirmation (not counted)" in page
    assert "<td>EUR</td><td>€0.00</td><td>€0.00</td><td>0</td><td>1</td>" in page


def test_switched_off_no_pledge_waits(settings, client_as, initiative, goal, campaign, promoter):
    settings.SAMEN_PLEDGE_CONFIRM_ABOVE = None
    donation = pledge(client_as(None), initiative, promoter, "5000")

    assert donation.state == "pending"
    assert counted(goal, campaign, promoter) == (500000, 1, 500000, 1)
