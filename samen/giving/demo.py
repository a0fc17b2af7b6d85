"""Demo data for `manage.py seed_demo`: a goal, a running 24-hour action with promoters, gifts and a sponsor."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

DEMO_SLUG = "24-hour-action-demo"


def seed(members, initiatives) -> int:
    """Add this app's demo rows (idempotent); return how many rows were new.

    `members` maps e-mail to Member, `initiatives` maps slug to Initiative.
    """
    from samen.outreach import actions as outreach_actions

    from . import actions
    from .models import Campaign, FundraisingGoal

    if Campaign.objects.filter(slug=DEMO_SLUG).exists():
        return 0
    projects = [
        initiatives[slug]
        for slug in ("clean-water-kibera", "it-centre-tamale", "eco-tourism-sikles")
        if slug in initiatives
    ]
    projects = [p for p in projects if p.status == p.Status.OPEN]
    people = [
        members[e]
        for e in ("sita@samen.example", "jean@samen.example", "pieter@samen.example")
        if e in members
    ]
    if not projects or not people:
        return 0
    now = timezone.now()
    created = 0
    with transaction.atomic():
        for initiative in projects:
            _, made = FundraisingGoal.objects.get_or_create(
                initiative=initiative,
                defaults={"amount_minor": 250_000, "currency": "EUR", "deadline": now + timedelta(days=45)},
            )
            created += made
        campaign = Campaign.objects.create(
            slug=DEMO_SLUG,
            title="The 24-hour action (demo)",
            description="24 hours, promoters raising money in their own networks, one project each.",
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(hours=22),
            currency="EUR",
            organiser=members.get("amina@samen.example") or people[0],
        )
        created += 1
        project_rows = [
            actions.add_project(campaign, initiative, target_minor=500_000) for initiative in projects
        ]
        actions.add_matching_fund(campaign, sponsor="Stichting Waterkracht", cap_minor=100_000)
        created += len(project_rows) + 1
        stories = [
            "I grew up carrying water. Today I raise money so that nobody in Kibera has to.",
            "Computers changed my life in Port-au-Prince; let's bring them to Tamale.",
            "Tourism that leaves money in the village: help me get Sikles started.",
        ]
        for n, person in enumerate(people):
            promoter = actions.join_campaign(
                campaign,
                person,
                project=project_rows[n % len(project_rows)],
                story=stories[n % 3],
                target_minor=150_000,
            )
            created += 1
            for k, amount in enumerate((2_500, 5_000, 1_000 + 1_500 * n)):
                donation, _ = actions.create_donation(
                    promoter.project.initiative,
                    amount_minor=amount,
                    currency="EUR",
                    email=f"donor{n}{k}@example.org",
                    name=f"Donor {n}{k}",
                    anonymous=k == 2,
                    promoter=promoter,
                )
                if k == 0:
                    actions.mark_paid(donation)
                created += 1
        outreach_actions.create_message(
            None,
            by=campaign.organiser,
            title="The last hours",
            target=campaign.get_absolute_url(),
            subject=campaign,
            variants=[
                {"label": "A", "text": "A few hours left in the 24-hour action: every euro is matched 1:1."},
                {"label": "B", "text": "Clean water, computers, a village guesthouse: give before midnight."},
            ],
        )
        created += 1
    return created
