"""match_batch: suggestions for 100,000 members at once (the weekly digest's work), in seconds.

Seeds 100,000 members with skills in several languages (and some without any) and 1,000 open
tasks, then runs `samen.volunteering.suggest.batch`: the members are streamed from the database
and ranked against one in-memory index of the tasks, five suggestions each, as the digest does
(without writing e-mails). Target: ≤ 60 s. Members whose matching attributes are identical are
ranked once (the generated population repeats profiles, as real ones do with common skills);
`distinct_profiles` in the details says how many rankings were really computed.

The semantic matcher is timed on a sample of members (embedding every member takes far longer
than the lexical pass; see `semantic_members_per_s` in the details) and not judged here.
"""

from harness import Context, Result

NAME = "match_batch"
TARGET_S = 60.0
MEMBERS = 100_000
TASKS = 1_000
SLUG = "bench-volunteering-batch"
EMAIL_DOMAIN = "batch.bench.samen.invalid"
SEMANTIC_SAMPLE = 200


def run(ctx: Context) -> list[Result]:
    seeded = ctx.django(f"{__name__}:seed")
    ctx.progress(f"{NAME}: {seeded['members']:,} members, {seeded['tasks']:,} tasks")
    measured = ctx.django(f"{__name__}:measure")
    return [
        Result.absolute(
            NAME,
            measured["seconds"],
            unit="s",
            target=TARGET_S,
            higher_is_better=False,
            details={**ctx.describe(), **seeded, **measured},
        )
    ]


def seed() -> dict:
    import random

    from bench_match_member import SKILLS, ZONES
    from django.db import transaction

    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member
    from samen.volunteering import matching, vocabulary
    from samen.volunteering.models import Opportunity, OpportunityTerm

    rng = random.Random(7)
    owner, _ = Member.objects.get_or_create(email=f"owner@{EMAIL_DOMAIN}", defaults={"name": "Batch Owner"})
    initiative, _ = Initiative.objects.get_or_create(
        slug=SLUG,
        defaults={
            "title": "Bench batch",
            "summary": "Tasks",
            "status": "open",
            "created_by": owner,
            "causes": ["water"],
        },
    )
    TeamMember.objects.get_or_create(initiative=initiative, member=owner, defaults={"role": "owner"})
    if Member.objects.filter(email__endswith=f"v.{EMAIL_DOMAIN}").count() != MEMBERS:
        Member.objects.filter(email__endswith=f"v.{EMAIL_DOMAIN}").delete()
        languages = [
            ["English"],
            ["Nederlands", "English"],
            ["français"],
            ["Kiswahili", "English"],
            ["español"],
        ]
        batch = []
        for n in range(MEMBERS):
            skills = (
                []
                if rng.random() < 0.1
                else rng.choice(SKILLS) + ([rng.choice(SKILLS)[0]] if rng.random() < 0.4 else [])
            )
            batch.append(
                Member(
                    email=f"m{n}@v.{EMAIL_DOMAIN}",
                    password="!",  # noqa: S106 - an unusable password, as set_unusable_password makes
                    skills=skills,
                    languages=rng.choice(languages),
                    causes=rng.sample(["water", "education", "health"], k=1),
                    time_zone=rng.choice(ZONES),
                    availability_hours=rng.choice([0, 4, 8, 16]),
                )
            )
            if len(batch) == 5000:
                Member.objects.bulk_create(batch)
                batch = []
        Member.objects.bulk_create(batch)
    if Opportunity.objects.filter(initiative=initiative).count() != TASKS:
        with transaction.atomic():
            Opportunity.objects.filter(initiative=initiative).delete()
            rows = []
            for n in range(TASKS):
                skills = rng.choice(SKILLS)
                rows.append(
                    Opportunity(
                        initiative=initiative,
                        code=f"M{n:05d}",
                        title=f"Help with {', '.join(skills)}",
                        skills=skills,
                        languages=rng.sample(["en", "fr", "nl", "sw"], k=rng.choice([0, 1])),
                        time_zone=rng.choice(ZONES),
                        hours_needed=rng.choice([2, 4, 8]),
                        created_by=owner,
                    )
                )
            created = Opportunity.objects.bulk_create(rows)
            terms = []
            for opportunity in created:
                skill_terms, text_terms = matching.opportunity_terms(
                    title=opportunity.title, description="", skills=opportunity.skills
                )
                opportunity.terms = {
                    "skills": sorted(skill_terms),
                    "text": sorted(text_terms),
                    "languages": sorted(vocabulary.language_codes(opportunity.languages)),
                }
                terms += [
                    OpportunityTerm(opportunity=opportunity, term=t) for t in sorted(skill_terms | text_terms)
                ]
            Opportunity.objects.bulk_update(created, ["terms"])
            OpportunityTerm.objects.bulk_create(terms)
    return {"members": MEMBERS, "tasks": TASKS}


def measure() -> dict:
    import time

    from samen.people.models import Member
    from samen.volunteering import semantic, suggest
    from samen.volunteering.models import Opportunity

    members = Member.objects.filter(email__endswith=f"v.{EMAIL_DOMAIN}")
    tasks = Opportunity.objects.filter(initiative__slug=SLUG)
    start, cpu = time.perf_counter(), time.process_time()
    matched = suggestions = 0
    for _member_id, ranked in suggest.batch(members, tasks):
        matched += 1
        suggestions += len(ranked)
    seconds = time.perf_counter() - start
    out = {
        "seconds": round(seconds, 2),
        # On a shared machine the process may wait for a CPU; this is the time it actually ran.
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "members_with_suggestions": matched,
        "suggestions": suggestions,
        "members_per_second": round(MEMBERS / seconds),
        "distinct_profiles": len(
            {
                (
                    tuple(m["skills"]),
                    tuple(m["languages"]),
                    tuple(m["causes"]),
                    m["time_zone"],
                    m["availability_hours"],
                )
                for m in members.values("skills", "languages", "causes", "time_zone", "availability_hours")
            }
        ),
        "semantic_available": semantic.available(),
    }
    if semantic.available():
        matcher = semantic.SemanticMatcher()
        rows = list(tasks.values(*suggest.OPPORTUNITY_FIELDS, *suggest.TEXT_FIELDS))
        opportunities = [suggest.profile_of_row(row, with_text=True) for row in rows]
        matrix = matcher.vectors([o.text for o in opportunities])
        sample = [
            suggest.profile_of_member(m) for m in members.exclude(skills=[]).order_by("pk")[:SEMANTIC_SAMPLE]
        ]
        start = time.perf_counter()
        for profile in sample:
            matcher.rank(profile, opportunities, matrix=matrix)
        elapsed = time.perf_counter() - start
        out["semantic_members_per_s"] = round(len(sample) / elapsed, 1)
        out["semantic_estimated_seconds_for_all"] = round(MEMBERS / (len(sample) / elapsed))
    return out
