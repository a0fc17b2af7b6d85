"""Demo data for `manage.py seed_demo`: a plan written in public, with reactions, answers and a question."""

from __future__ import annotations

DEMO_TITLE = "Our plan for six water points (demo)"

MARKDOWN = """\
We want safe water within 100 metres of every home in Soweto East. This plan is written in public:
react where you know more. Every reaction gets an answer within three days.

# Where the water points go
Six points, one per street block, chosen with the residents' committee.
## Maintenance
Expertise wanted: plumbing, bookkeeping

Each point has two caretakers, paid from a small fee per jerrycan.
# Money
Expertise wanted: bookkeeping, fundraising

We need KES 1.2 million for pipes, taps and tanks.
## Fundraising
Savings groups, a crowdfunding campaign and the county's water fund.
# Hygiene lessons
Expertise wanted: hygiene training

Lessons at the schools, every term.
"""


def seed(members, initiatives) -> int:
    """Add this app's demo rows (idempotent); return how many rows were new.

    `members` maps e-mail to Member, `initiatives` maps slug to Initiative.
    """
    from django.db import transaction

    from samen.initiatives.models import TeamMember

    from . import actions
    from .models import Plan

    initiative = initiatives.get("clean-water-kibera")
    if initiative is None or Plan.objects.filter(initiative=initiative, title=DEMO_TITLE).exists():
        return 0
    team = list(TeamMember.objects.filter(initiative=initiative).select_related("member").order_by("pk"))
    if not team:
        return 0
    owner = team[0].member
    others = [m for m in members.values() if m.pk not in {t.member_id for t in team} and not m.is_staff]
    created = 0
    with transaction.atomic():
        plan = actions.create_plan(initiative, owner, title=DEMO_TITLE, markdown=MARKDOWN)
        created += 2 + plan.sections.count()
        sections = {s.heading: s for s in plan.sections.all()}
        if others:
            first = others[0]
            reaction = actions.add_reaction(
                sections["Maintenance"],
                first,
                "Ask the caretakers to keep a simple cash book; I can train them.",
            )
            actions.answer_reaction(
                reaction, owner, state="adopted", answer="Yes please! We added a training day to the plan."
            )
            actions.add_reaction(sections["Money"], first, "Has the county's water fund opened its call yet?")
            suggestion = actions.propose(
                sections["Fundraising"],
                first,
                body="Savings groups, a crowdfunding campaign, the county's water fund and a matching fund "
                "from local businesses.",
                note="Local shops offered to match donations.",
            )
            actions.accept(suggestion, owner)
            created += 4
        question = actions.ask(
            initiative,
            owner,
            text="Which street block should get the first water point?",
            choices=["Block A (near the school)", "Block C (near the clinic)", "Block F (by the market)"],
        )
        created += 1
        for n, person in enumerate(others[:3]):
            actions.answer_question(question, person, choice=n % 3)
            created += 1
    return created
