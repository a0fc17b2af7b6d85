"""Concurrent gifts never lose an update to a total: two processes pledging at once against a live server.

SQLite serialises every write, so there is nothing to race; the test runs on PostgreSQL only.
"""

import multiprocessing

import pytest
from django.db import connection
from django.db.models import Sum

from samen.api.models import ApiToken
from samen.giving import actions
from samen.giving.models import Campaign, CampaignProject, Donation, Promoter

from . import _load


@pytest.mark.django_db(transaction=True)
def test_two_processes_pledging_at_once_lose_no_update(live_server, outsider, initiative, promoter, goal):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writes; the race needs PostgreSQL")
    _, token = ApiToken.issue(outsider, "load")
    url = f"{live_server.url}/api/initiatives/{initiative.slug}/pledges"
    batches = [[100 + n for n in range(0, 40)], [500 + n for n in range(0, 40)]]

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(_load.pledge_many, [(url, token, promoter.pk, batch) for batch in batches])

    assert all(status == 201 for statuses in results for status in statuses), results
    expected = sum(map(sum, batches))
    assert Donation.objects.aggregate(total=Sum("amount_minor"))["total"] == expected
    promoter.refresh_from_db()
    assert (promoter.raised_minor, promoter.donation_count) == (expected, 80)
    assert CampaignProject.objects.get().raised_minor == expected
    assert Campaign.objects.get().raised_minor == expected
    goal.refresh_from_db()
    assert (goal.raised_minor, goal.supporter_count) == (expected, 80)

    # And the owner marking them paid while more come in still adds up (paid pledges do not count twice).
    donations = list(Donation.objects.all()[:10])
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        more = pool.apply_async(_load.pledge_many, (url, token, promoter.pk, [1000] * 20))
        for donation in donations:
            actions.mark_paid(donation)
        assert all(status == 201 for status in more.get(timeout=120))
    promoter.refresh_from_db()
    assert promoter.raised_minor == expected + 20_000
    assert Promoter.objects.get().donation_count == 100
