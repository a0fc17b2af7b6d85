"""Demo data for `manage.py seed_demo`: tasks in several languages, a volunteer with confirmed hours."""

from datetime import timedelta

from django.utils import timezone

TASKS = [
    # initiative slug, code, title, description, skills, languages, mode, time zone
    (
        "clean-water-kibera",
        "MAJI1",
        "Traduire les affiches d'hygiène en swahili",
        "Nos affiches sur le lavage des mains existent en français et en anglais ; il manque le swahili.",
        ["traduction", "swahili"],
        ["fr", "sw"],
        "online",
        "Africa/Nairobi",
    ),
    (
        "clean-water-kibera",
        "MAJI2",
        "Repair the water point at the school",
        "Plumbing work on the tap at Olympic primary school, one Saturday.",
        ["plumbing"],
        ["en", "sw"],
        "on_location",
        "Africa/Nairobi",
    ),
    (
        "eco-tourism-sikles",
        "SIKL1",
        "Website voor homestays in Sikles",
        "Een eenvoudige website (Django of WordPress) waarop gasten een homestay boeken.",
        ["webontwikkeling"],
        ["en"],
        "online",
        "Asia/Kathmandu",
    ),
    (
        "eco-tourism-sikles",
        "SIKL2",
        "Bookkeeping for the homestay cooperative",
        "Keep the cooperative's books, a few hours a month.",
        ["bookkeeping"],
        ["en", "ne"],
        "online",
        "Asia/Kathmandu",
    ),
    (
        "it-centre-tamale",
        "TAMA1",
        "Set up the computers of the IT centre",
        "Install twelve donated computers and the network.",
        ["IT support", "networking"],
        ["en"],
        "online",
        "Africa/Accra",
    ),
]


def seed(members, initiatives) -> int:
    """Add this app's demo rows (idempotent); return how many rows were new."""
    from samen.volunteering import actions
    from samen.volunteering.models import Opportunity, Participation, Pledge, TimeEntry

    new = 0
    by_code = {}
    for slug, code, title, description, skills, languages, mode, time_zone in TASKS:
        initiative = initiatives.get(slug)
        if initiative is None:
            continue
        opportunity = Opportunity.objects.filter(code=code).first()
        if opportunity is None:
            owner = initiative.created_by
            opportunity = actions.save_opportunity(
                Opportunity(
                    initiative=initiative,
                    code=code,
                    title=title,
                    description=description,
                    skills=skills,
                    languages=languages,
                    mode=mode,
                    time_zone=time_zone,
                    hours_needed=6,
                    places_available=3,
                    created_by=owner,
                )
            )
            new += 1
        by_code[code] = opportunity
    pieter = members.get("pieter@samen.example")
    task = by_code.get("SIKL1")
    if pieter is not None and task is not None:
        participation, created = Participation.objects.get_or_create(
            opportunity=task,
            member=pieter,
            defaults={"state": Participation.State.ACCEPTED, "motivation": "Ik bouw graag websites."},
        )
        new += int(created)
        if not participation.time_entries.exists():
            for weeks, minutes in ((9, 120), (5, 90), (1, 150)):
                entry = TimeEntry.objects.create(
                    participation=participation,
                    minutes=minutes,
                    note="Homestay pages",
                    occurred_on=timezone.localdate() - timedelta(weeks=weeks),
                )
                actions.confirm_hours(entry, task.created_by)
                new += 1
        _pledge, created = Pledge.objects.get_or_create(
            member=pieter,
            defaults={"minutes_per_month": 96, "amount_minor_per_month": 1000, "currency": "EUR"},
        )
        new += int(created)
    return new
