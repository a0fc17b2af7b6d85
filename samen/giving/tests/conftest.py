"""Giving fixtures: a goal on the shared initiative, a running 24-hour campaign, a promoter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from samen.giving.models import Campaign, CampaignProject, FundraisingGoal, Promoter
from samen.messaging.models import OutboundMessage


@pytest.fixture
def goal(initiative):
    return FundraisingGoal.objects.create(
        initiative=initiative,
        amount_minor=100_000,
        currency="EUR",
        deadline=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def campaign(outsider):
    """Organised by Otto; started an hour ago, ends in 23 hours."""
    now = timezone.now()
    return Campaign.objects.create(
        slug="24-hour-action",
        title="The 24-hour action",
        description="24 promoters, 24 hours, 24 projects.",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=23),
        currency="EUR",
        organiser=outsider,
    )


@pytest.fixture
def project(campaign, initiative):
    return CampaignProject.objects.create(campaign=campaign, initiative=initiative, target_minor=500_000)


@pytest.fixture
def promoter(campaign, project, member):
    return Promoter.objects.create(
        campaign=campaign, member=member, project=project, story="I walk for water.", target_minor=100_000
    )


def receipts(donation):
    return OutboundMessage.objects.filter(idempotency_key=f"giving.receipt:{donation.pk}")


def donate_form(**overrides):
    data = {
        "amount": "25",
        "currency": "EUR",
        "name": "Vera Visitor",
        "email": "vera@example.org",
        "message": "Good luck!",
        "provider": "pledge",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
