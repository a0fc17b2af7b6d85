"""Throttles on giving: pledges and donations (web and API) and the payment webhooks.

The same limits hold across processes: tests/test_throttles_across_processes.py.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from samen.api.models import ApiToken
from samen.giving.models import Donation

from .conftest import donate_form

pytestmark = pytest.mark.django_db


def give_url(initiative):
    return reverse("giving:give", args=[initiative.slug])


def test_pledges_past_the_limit_get_a_page_and_never_reach_the_goal(throttles, client, initiative, goal):
    throttles(donate="2/h")

    answers = [client.post(give_url(initiative), donate_form(amount="1")) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 429, 429]
    refused = answers[2]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Please wait a moment" in refused.content.decode()
    assert Donation.objects.count() == 2
    goal.refresh_from_db()
    assert (goal.raised_minor, goal.supporter_count) == (200, 2)


def test_a_form_with_mistakes_does_not_count(throttles, client, initiative, goal):
    throttles(donate="1/h")
    assert client.post(give_url(initiative), donate_form(amount="lots")).status_code == 200  # not an amount
    assert client.post(give_url(initiative), donate_form(amount="5")).status_code == 302


def test_a_member_is_counted_as_themself_not_by_the_shared_address(
    throttles, client_as, initiative, goal, member, outsider
):
    throttles(donate="1/h")
    mia, otto, anonymous = client_as(member), client_as(outsider), Client()

    assert mia.post(give_url(initiative), donate_form()).status_code == 302
    assert mia.post(give_url(initiative), donate_form()).status_code == 429
    # Everyone here posts from 127.0.0.1: Otto and the visitor have limits of their own.
    assert otto.post(give_url(initiative), donate_form()).status_code == 302
    assert anonymous.post(give_url(initiative), donate_form()).status_code == 302


def test_api_pledges_past_the_limit_get_json_429(throttles, initiative, goal, member):
    throttles(donate="1/h")
    _, raw = ApiToken.issue(member, "tests")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    body = json.dumps({"amount_minor": 500, "currency": "EUR"})
    path = f"/api/initiatives/{initiative.slug}/pledges"

    first = client.post(path, body, content_type="application/json")
    second = client.post(path, body, content_type="application/json")

    assert first.status_code == 201
    assert second.status_code == 429
    assert second["Content-Type"] == "application/json; charset=utf-8"
    assert second.json()["retry_after"] == int(second["Retry-After"]) > 0
    assert "Too many requests" in second.json()["detail"]
    assert Donation.objects.count() == 1


def test_a_payment_webhook_past_the_limit_is_told_to_come_back(throttles, client):
    throttles(webhook_payment="2/m")
    path = reverse("giving:webhook", args=["stripe"])

    answers = [client.post(path, "{}", content_type="application/json") for _ in range(3)]

    # Stripe is not configured here (404); the third call never reaches the provider code at all.
    assert [answer.status_code for answer in answers] == [404, 404, 429]
    assert answers[2].json()["retry_after"] == int(answers[2]["Retry-After"])
    # Counted per provider and sender address: Mollie's endpoint and another sender still pass.
    assert client.post(reverse("giving:webhook", args=["mollie"])).status_code == 404
    assert (
        client.post(path, "{}", content_type="application/json", REMOTE_ADDR="198.51.100.9").status_code
        == 404
    )
