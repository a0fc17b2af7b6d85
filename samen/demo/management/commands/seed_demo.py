"""Seed the demo site. Idempotent: every row is looked up by a natural key first."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from samen.giving import demo as giving_demo
from samen.impact.ledger import record
from samen.initiatives.models import Follow, Initiative, TeamMember, Update
from samen.outreach import demo as outreach_demo
from samen.people.models import Member
from samen.plans import demo as plans_demo
from samen.volunteering import demo as volunteering_demo

PASSWORD = "samen-demo-2026"  # noqa: S105 - the published demo password

PEOPLE: list[tuple[str, str, bool, dict[str, Any]]] = [
    # email, name, staff, profile
    ("admin@samen.example", "Ada Admin", True, {"bio": "Keeps the platform running."}),
    (
        "amina@samen.example",
        "Amina Otieno",
        False,
        {
            "bio": "Community health worker in Kibera.",
            "skills": ["community organising", "Swahili", "hygiene training"],
            "causes": ["water", "health"],
            "languages": ["en", "sw"],
            "place_name": "Nairobi",
            "latitude": Decimal("-1.312"),
            "longitude": Decimal("36.788"),
            "time_zone": "Africa/Nairobi",
            "availability_hours": 20,
        },
    ),
    (
        "pieter@samen.example",
        "Pieter de Vries",
        False,
        {
            "bio": "Software developer who gives 1% of his time.",
            "skills": ["web development", "Dutch", "translation"],
            "causes": ["education", "work"],
            "languages": ["nl", "en"],
            "place_name": "Utrecht",
            "latitude": Decimal("52.090"),
            "longitude": Decimal("5.121"),
            "time_zone": "Europe/Amsterdam",
            "availability_hours": 2,
        },
    ),
    (
        "sita@samen.example",
        "Sita Gurung",
        False,
        {
            "bio": "Runs a guesthouse and a village committee.",
            "skills": ["tourism", "Nepali", "bookkeeping"],
            "causes": ["work", "environment"],
            "languages": ["ne", "en"],
            "place_name": "Pokhara",
            "time_zone": "Asia/Kathmandu",
            "availability_hours": 10,
        },
    ),
    (
        "jean@samen.example",
        "Jean-Baptiste Louis",
        False,
        {
            "bio": "Volunteer coordinator after the earthquake.",
            "skills": ["logistics", "Haitian Creole", "French"],
            "causes": ["crisis", "human-rights"],
            "languages": ["ht", "fr", "en"],
            "place_name": "Port-au-Prince",
            "time_zone": "America/Port-au-Prince",
            "availability_hours": 40,
        },
    ),
]

INITIATIVES: list[dict[str, Any]] = [
    {
        "slug": "clean-water-kibera",
        "title": "Clean water for Kibera",
        "summary": "Residents run six water points and teach hygiene in schools.",
        "story": (
            "## Why\n\nIn our part of Kibera, a jerrycan of water costs more than in the rich parts of Nairobi.\n\n"
            "## What we do\n\n- run **six water points** with a resident committee\n- teach hygiene in four schools\n"
            "- publish every shilling we spend\n"
        ),
        "causes": ["water", "health"],
        "place_name": "Kibera, Nairobi",
        "latitude": Decimal("-1.3133"),
        "longitude": Decimal("36.7880"),
        "owner": "amina@samen.example",
        "team": ["pieter@samen.example"],
        "followers": ["sita@samen.example", "jean@samen.example"],
    },
    {
        "slug": "eco-tourism-sikles",
        "title": "Eco-tourism in Sikles",
        "summary": "A village near Pokhara builds homestays and trail maps with online neighbours.",
        "story": "Our village wants visitors who stay longer and leave less behind. We need help with a website, "
        "trail maps and bookkeeping.",
        "causes": ["work", "environment"],
        "place_name": "Sikles, Nepal",
        "latitude": Decimal("28.3700"),
        "longitude": Decimal("84.0800"),
        "owner": "sita@samen.example",
        "team": [],
        "followers": ["pieter@samen.example"],
    },
    {
        "slug": "it-centre-tamale",
        "title": "An IT centre in Tamale",
        "summary": "Twenty second-hand laptops and weekly classes for young people in northern Ghana.",
        "story": "We have the room and the teachers. We need laptops, a curriculum and people who can answer "
        "questions online.",
        "causes": ["education", "work"],
        "place_name": "Tamale, Ghana",
        "latitude": Decimal("9.4008"),
        "longitude": Decimal("-0.8393"),
        "owner": "pieter@samen.example",
        "team": ["amina@samen.example"],
        "followers": ["jean@samen.example"],
    },
    {
        "slug": "haiti-missing-persons",
        "title": "Haiti: find missing persons",
        "summary": "Reports by SMS help families find each other after the earthquake.",
        "story": "Send the name, the place and a contact to our number. Volunteers check every report before it is "
        "published.",
        "causes": ["crisis", "human-rights"],
        "place_name": "Port-au-Prince, Haiti",
        "latitude": Decimal("18.5944"),
        "longitude": Decimal("-72.3074"),
        "owner": "jean@samen.example",
        "team": ["pieter@samen.example"],
        "followers": ["amina@samen.example", "sita@samen.example"],
    },
    {
        "slug": "jobs-for-graduates",
        "title": "Jobs for graduates with a disability",
        "summary": "A job board and a business plan written together with employers and candidates.",
        "story": "Talent is everywhere. We connect graduates with a disability to employers who want them, and we "
        "write our plan in public.",
        "causes": ["inclusion", "work"],
        "place_name": "Amsterdam",
        "latitude": Decimal("52.3676"),
        "longitude": Decimal("4.9041"),
        "owner": "pieter@samen.example",
        "team": [],
        "followers": [],
        "status": Initiative.Status.DRAFT,
    },
]

UPDATES = [
    (
        "clean-water-kibera",
        "Water point four is open",
        "The fourth water point opened on Monday. **312** families collected water in the first week.",
    ),
    (
        "clean-water-kibera",
        "Our accounts for March",
        "We spent KES 84,000 on pipes and KES 12,000 on training.",
    ),
    (
        "eco-tourism-sikles",
        "First trail map printed",
        "Thank you to the three neighbours who drew it with us.",
    ),
    ("haiti-missing-persons", "1,200 reports checked", "Volunteers in four countries checked every report."),
]


class Command(BaseCommand):
    help = "Seed demo members and initiatives (safe to run again: it adds nothing the second time)."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, logins=False, **options):
        if logins:
            self.print_logins()
            return
        with transaction.atomic():
            created = self.seed()
        self.stdout.write(f"Demo data: {created} new rows." if created else "Demo data already in place.")

    def print_logins(self):
        self.stdout.write(f"  Demo logins (password: {PASSWORD})")
        for email, name, staff, _profile in PEOPLE:
            self.stdout.write(f"    {email:<24} {name}{' (admin, /admin/)' if staff else ''}")

    def seed(self) -> int:
        created = 0
        members = {}
        for email, name, staff, profile in PEOPLE:
            member = Member.objects.filter(email=email).first()
            if member is None:
                member = Member.objects.create_user(
                    email=email, password=PASSWORD, name=name, is_staff=staff, is_superuser=staff, **profile
                )
                self.verify_email(member)
                created += 1
            members[email] = member

        now = timezone.now()
        initiatives = {}
        for spec in INITIATIVES:
            spec = dict(spec)
            owner = members[spec.pop("owner")]
            team, followers = spec.pop("team"), spec.pop("followers")
            initiative = Initiative.objects.filter(slug=spec["slug"]).first()
            if initiative is None:
                spec.setdefault("status", Initiative.Status.OPEN)
                initiative = Initiative.objects.create(created_by=owner, **spec)
                created += 1
                TeamMember.objects.create(initiative=initiative, member=owner, role=TeamMember.Role.OWNER)
                for email in team:
                    TeamMember.objects.create(
                        initiative=initiative, member=members[email], role=TeamMember.Role.TEAM
                    )
                for email in followers:
                    Follow.objects.create(initiative=initiative, member=members[email])
                Initiative.objects.filter(pk=initiative.pk).update(follower_count=len(followers))
            initiatives[initiative.slug] = initiative

        for n, (slug, title, body) in enumerate(UPDATES):
            initiative = initiatives[slug]
            if not Update.objects.filter(initiative=initiative, title=title).exists():
                owner = initiative.team.get(role=TeamMember.Role.OWNER).member
                # Demo updates are history: mark them mailed so the worker does not e-mail anyone.
                Update.objects.create(
                    initiative=initiative,
                    author=owner,
                    title=title,
                    body=body,
                    created_at=now - timedelta(days=10 - n),
                    mailed_at=now,
                )
                created += 1

        ledger: list[tuple[str, str, str, dict[str, Any], str]] = [
            (
                "time",
                "pieter@samen.example",
                "clean-water-kibera",
                {"minutes": 150},
                "Built the water-point rota",
            ),
            (
                "time",
                "pieter@samen.example",
                "eco-tourism-sikles",
                {"minutes": 90},
                "Set up the booking page",
            ),
            (
                "money",
                "pieter@samen.example",
                "it-centre-tamale",
                {"amount_minor": 2500, "currency": "EUR"},
                "Monthly gift",
            ),
            (
                "knowledge",
                "pieter@samen.example",
                "haiti-missing-persons",
                {},
                "Translated the SMS guide to Dutch",
            ),
            (
                "time",
                "sita@samen.example",
                "clean-water-kibera",
                {"minutes": 60},
                "Reviewed the hygiene lessons",
            ),
            (
                "money",
                "jean@samen.example",
                "clean-water-kibera",
                {"amount_minor": 150000, "currency": "KES"},
                "For pipes",
            ),
        ]
        for n, (kind, email, slug, amounts, description) in enumerate(ledger):
            _line, new = record(
                kind=kind,
                initiative=initiatives[slug],
                member=members[email],
                source="demo",
                source_ref=str(n),
                description=description,
                occurred_at=now - timedelta(days=35 * (n % 3)),
                **amounts,
            )
            created += int(new)
        created += self.seed_reports(members, initiatives)
        # Each feature app seeds its own demo rows (samen/<app>/demo.py), in the order of the layers.
        for seed_feature in (outreach_demo.seed, plans_demo.seed, volunteering_demo.seed, giving_demo.seed):
            created += seed_feature(members, initiatives)
        return created

    def seed_reports(self, members, initiatives) -> int:
        """A crisis map with categories and reports, some published and some waiting for review."""
        from samen.reports.actions import create_report, publish_report
        from samen.reports.models import Category, ReportMap

        coordinator = members["jean@samen.example"]
        report_map, new_map = ReportMap.objects.get_or_create(
            slug="haiti-reports",
            defaults={
                "initiative": initiatives["haiti-missing-persons"],
                "title": "Haiti: reports from the ground",
                "description": "Missing persons, injuries and urgent needs, reported by SMS, e-mail and web.",
                "default_latitude": Decimal("18.5400"),
                "default_longitude": Decimal("-72.3300"),
                "default_zoom": 12,
                "channels": ["web", "sms", "email", "api", "import"],
                "sms_keyword": "HAITI",
                "auto_reply": "Mesi. Your report number is {number}.",
                "time_zone": "America/Port-au-Prince",
                "country": "HT",
            },
        )
        if new_map:
            report_map.reviewers.add(members["pieter@samen.example"])
        emergency, _ = Category.objects.get_or_create(
            report_map=report_map,
            parent=None,
            title="Emergency",
            defaults={
                "translations": {"fr": "Urgences", "ht": "Ijans", "nl": "Noodgeval"},
                "colour": "#a4161a",
            },
        )
        medical, _ = Category.objects.get_or_create(
            report_map=report_map,
            parent=emergency,
            title="Medical help",
            defaults={"translations": {"fr": "Soins médicaux", "ht": "Swen medikal", "nl": "Medische hulp"}, "colour": "#c2410c"},
        )
        missing, _ = Category.objects.get_or_create(
            report_map=report_map,
            parent=None,
            title="Missing persons",
            defaults={
                "translations": {"fr": "Personnes disparues", "ht": "Moun ki disparèt", "nl": "Vermiste personen"},
                "colour": "#1a4fd6",
            },
        )
        reports = [
            (
                "Family trapped under a house",
                "Rue Capois, three people. Call +509 3412 3456.",
                "18.5392",
                "-72.3364",
                [emergency],
                True,
            ),
            (
                "Clinic needs insulin",
                "The clinic near the cathedral has no insulin left.",
                "18.5453",
                "-72.3389",
                [medical],
                True,
            ),
            (
                "Looking for Marie Joseph",
                "Last seen at the market in Pétion-Ville.",
                "18.5125",
                "-72.2853",
                [missing],
                True,
            ),
            (
                "Water point damaged",
                "The water point in Delmas 33 is broken.",
                "18.5553",
                "-72.3025",
                [emergency],
                True,
            ),
            (
                "Injured children at the school",
                "About ten children need first aid.",
                "18.5301",
                "-72.3410",
                [medical, emergency],
                True,
            ),
            (
                "Looking for Jean Pierre",
                "He was working in Carrefour on Tuesday.",
                "18.5411",
                "-72.3995",
                [missing],
                True,
            ),
            ("Road blocked near the airport", "Trucks cannot pass.", None, None, [], False),
            (
                "Shelter needs tents",
                "Two hundred people sleep outside at the stadium.",
                "18.5433",
                "-72.3440",
                [emergency],
                False,
            ),
        ]
        created = int(new_map)
        for n, (title, text, lat, lng, cats, publish) in enumerate(reports):
            report, new = create_report(
                report_map,
                source="web",
                external_id=f"demo-{n}",
                title=title,
                description=text,
                categories=cats,
                latitude=Decimal(lat) if lat else None,
                longitude=Decimal(lng) if lng else None,
                place_name="Port-au-Prince",
            )
            if new and publish:
                publish_report(report, coordinator)
            created += int(new)
        return created

    def verify_email(self, member):
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=member, email=member.email, defaults={"verified": True, "primary": True}
        )
