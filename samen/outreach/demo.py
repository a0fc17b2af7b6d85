"""Demo data for `manage.py seed_demo`: one message in two variants, with clicks and what followed."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

DEMO_TITLE = "Water points appeal (demo)"


def seed(members, initiatives) -> int:
    """Add this app's demo rows (idempotent); return how many rows were new.

    `members` maps e-mail to Member, `initiatives` maps slug to Initiative.
    """
    from . import actions, attribution, tracking
    from .models import Message, Touch, TrackedLink

    initiative = initiatives.get("clean-water-kibera")
    if initiative is None or Message.objects.filter(initiative=initiative, title=DEMO_TITLE).exists():
        return 0
    owner = next((m for m in members.values() if initiative.created_by_id == m.pk), None)
    rng = random.Random(7)  # the same demo every time
    now = timezone.now()
    created = 0
    with transaction.atomic():
        message = actions.create_message(
            initiative,
            by=owner,
            title=DEMO_TITLE,
            target=initiative.get_absolute_url(),
            variants=[
                {
                    "label": "A",
                    "text": "Clean water changes everything in Kibera. Help us run six water points.",
                },
                {
                    "label": "B",
                    "text": "One tap serves 300 families. Keep Kibera's water points running.",
                    "sms_text": "One tap, 300 families.",
                },
            ],
        )
        created += 3
        rates = {"A": 0.04, "B": 0.09}
        n = 0
        for variant in message.variants.all():
            for channel in ("whatsapp", "x", "facebook", "sms"):
                code = attribution.tracked_url(None, target=message.target, channel=channel, variant=variant)
                link = TrackedLink.objects.get(code=code.rsplit("/", 1)[1])
                created += 1
                for _click in range(rng.randint(20, 45)):
                    n += 1
                    at = now - timedelta(days=rng.randint(0, 27), minutes=rng.randint(0, 1440))
                    touch = Touch.objects.create(
                        link=link,
                        at=at,
                        message=message,
                        variant=variant,
                        channel=channel,
                        device=rng.choice([Touch.Device.MOBILE, Touch.Device.MOBILE, Touch.Device.DESKTOP]),
                        visitor=f"demo-{n}",
                        new_visitor=True,
                    )
                    created += 1
                    if rng.random() < rates[variant.label]:
                        kind = rng.choice(
                            [attribution.DONATION, attribution.VOLUNTEER_JOIN, attribution.SIGNUP]
                        )
                        attribution.record_conversion(
                            kind=kind,
                            source="demo.outreach",
                            source_ref=str(n),
                            touch_ids=[touch.pk],
                            initiative=initiative,
                            amount_minor=1500 if kind == attribution.DONATION else 0,
                            currency="KES" if kind == attribution.DONATION else "",
                            occurred_at=at + timedelta(hours=2),
                        )
                        created += 1
    tracking.rebuild_daily_counts(message=message)
    return created
