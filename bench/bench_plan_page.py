"""plan_page: throughput of a public plan with 50 sections and 2,000 reactions, against the bare 20-row view.

Both pages render through base.html on the same server in the same run (see bench_initiative_page.py
for why a ratio). The plan page shows every section's text and its "answered N of M"; its sections
are cached under the plan's revision, which changes whenever a reaction, an answer or the text does,
so a cold render is also measured (as query counts: it must stay constant as the plan grows, which
samen/plans/tests/test_plan_page_queries.py asserts). Target: at least 0.7 of the reference's rate.
"""

from harness import REFERENCE_PATH, BenchError, Context, Result

NAME = "plan_page"
TARGET = 0.7
SLUG = "bench-plan-water-for-every-street"
# Not "@bench.samen.invalid": bench_initiative_page removes those members when it seeds.
EMAIL_DOMAIN = "plans.bench.samen.invalid"
TITLE = "Water for every street: our plan"
SECTIONS = 50
REACTIONS = 2000


def run(ctx: Context) -> list[Result]:
    seeded = ctx.django(f"{__name__}:seed")
    if not seeded["url"]:
        raise BenchError(f"the plan page is not routed: {seeded['error']}")
    paths = {"reference": REFERENCE_PATH, "page": seeded["url"]}
    queries = ctx.django("harness:count_queries", paths=list(paths.values()))
    cold = ctx.django(f"{__name__}:cold_queries", path=seeded["url"])
    comparison = ctx.compare(paths, expect={"reference": "Reference rows", "page": TITLE})

    page, reference = comparison.summary("page"), comparison.summary("reference")
    details = {
        **ctx.describe(),
        "page": {**page, "queries": queries[paths["page"]], "queries_uncached": cold},
        "reference": {**reference, "queries": queries[paths["reference"]]},
        "ratio_of_round_pairs": round(comparison.pair_ratio("page", "reference"), 4),
        "cpu_ratio": _ratio(reference["server_cpu_ms_per_request"], page["server_cpu_ms_per_request"]),
        "seed": {"sections": SECTIONS, "reactions": REACTIONS},
    }
    return [
        Result.vs_baseline(
            NAME,
            comparison.rps("page"),
            comparison.rps("reference"),
            unit="req/s",
            target=TARGET,
            details=details,
        )
    ]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 4) if numerator and denominator else None


def cold_queries(path: str) -> int:
    """Queries for one anonymous GET with an empty cache (the first view after a change)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from samen.core.cache import fragments

    fragments.clear()
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST="127.0.0.1").get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}")
    return len(queries)


def seed() -> dict:
    """Runs inside Django (see in_django.py): one open initiative with a big, busy plan."""
    from datetime import timedelta

    from django.db import transaction
    from django.urls import NoReverseMatch
    from django.utils import timezone

    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member
    from samen.plans import actions
    from samen.plans.models import Reaction, Section

    now = timezone.now()
    with transaction.atomic():
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

        def member(local: str, name: str) -> Member:
            return Member.objects.create_user(f"{local}@{EMAIL_DOMAIN}", None, name=name)

        owner = member("amina", "Amina Wanjiru")
        team = [owner, member("joseph", "Joseph Otieno")]
        initiative = Initiative.objects.create(
            title="Water for every street",
            slug=SLUG,
            summary="Residents plan a water point in every street, in public.",
            status=Initiative.Status.OPEN,
            created_by=owner,
        )
        TeamMember.objects.bulk_create(
            TeamMember(initiative=initiative, member=person, role=role)
            for person, role in zip(team, ["owner", "team"], strict=True)
        )
        plan = actions.create_plan(initiative, owner, title=TITLE, intro=INTRO, markdown=_markdown())
        sections = list(plan.sections.order_by("position"))
        assert len(sections) == SECTIONS, len(sections)
        people = [member(f"neighbour{n}", f"Neighbour {n}") for n in range(40)]
        rows = []
        for n in range(REACTIONS):
            section = sections[n % SECTIONS]
            answered = n % 3 != 0
            rows.append(
                Reaction(
                    section=section,
                    author=people[n % len(people)],
                    body=f"Reaction {n}: we could ask the county about this part of the plan.",
                    created_at=now - timedelta(minutes=n),
                    owner=team[n % 2],
                    due_at=now + timedelta(days=3) - timedelta(minutes=n),
                    state=Reaction.State.ANSWERED if answered else Reaction.State.OPEN,
                    answer="Thank you, we will." if answered else "",
                )
            )
        Reaction.objects.bulk_create(rows, batch_size=500)
        actions.bump(plan.pk)
        assert Section.objects.filter(plan=plan).count() == SECTIONS

    try:
        return {"url": plan.get_absolute_url(), "error": ""}
    except NoReverseMatch as exc:
        return {"url": None, "error": str(exc)}


INTRO = "We, the residents, want clean water within 100 metres of every home. **React** where you know more."

PARAGRAPH = (
    "We will work with the water committee and the county. Every shilling is accounted for in our updates, "
    "and every reaction here gets an answer from the team within three days."
)


def _markdown() -> str:
    """Ten chapters of five sections (a chapter and four subsections): 50 sections."""
    lines = []
    for chapter in range(10):
        lines += [f"# Chapter {chapter + 1}", "Expertise wanted: finance, plumbing", "", PARAGRAPH, ""]
        for part in range(4):
            lines += [
                f"## Part {chapter + 1}.{part + 1}",
                "",
                PARAGRAPH,
                "",
                f"- point one\n- point two {part}",
                "",
            ]
    return "\n".join(lines)
