"""leaderboard_page: throughput of a campaign's public leaderboard page, against the bare 20-row view.

A 24-hour action as 1%CLUB ran it: 24 projects, 24 promoters, two matching funds, and money raised
on every row. The page reads the denormalised totals (four queries whatever the number of gifts),
draws two server-side SVG bar charts and two tables, and carries the htmx polling form. Both pages
render through base.html on the same server in the same run. Target: at least 0.7 of the reference
view's requests per second.
"""

from datetime import timedelta

from harness import REFERENCE_PATH, BenchError, Context, Result

NAME = "leaderboard_page"
TARGET = 0.7
SLUG = "bench-24-hour-action"
EMAIL_DOMAIN = "bench.samen.invalid"
PREFIX = "bench-leaderboard-"
PROJECTS = 24


def run(ctx: Context) -> list[Result]:
    seeded = ctx.django(f"{__name__}:seed")
    if not seeded["url"]:
        raise BenchError(f"the leaderboard is not routed: {seeded['error']}")
    paths = {"reference": REFERENCE_PATH, "page": seeded["url"]}
    queries = ctx.django("harness:count_queries", paths=list(paths.values()))
    comparison = ctx.compare(paths, expect={"reference": "Reference rows", "page": "Leaderboard"})
    page, reference = comparison.summary("page"), comparison.summary("reference")
    details = {
        **ctx.describe(),
        "page": {**page, "queries": queries[paths["page"]]},
        "reference": {**reference, "queries": queries[paths["reference"]]},
        "ratio_of_round_pairs": round(comparison.pair_ratio("page", "reference"), 4),
        "seed": {"projects": PROJECTS, "promoters": PROJECTS, "matching_funds": 2},
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


def seed() -> dict:
    """Runs inside Django: the campaign, its projects and promoters, replacing an earlier run's."""
    from django.db import transaction
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from samen.giving.models import Campaign, CampaignProject, MatchingFund, Promoter
    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member

    now = timezone.now()
    with transaction.atomic():
        Campaign.objects.filter(slug=SLUG).delete()
        Initiative.objects.filter(slug__startswith=PREFIX).delete()
        Member.objects.filter(email__startswith="leaderboard-", email__endswith=f"@{EMAIL_DOMAIN}").delete()
        organiser = Member.objects.create_user(
            f"leaderboard-organiser@{EMAIL_DOMAIN}", None, name="Organiser"
        )
        campaign = Campaign.objects.create(
            slug=SLUG,
            title="The 24-hour action",
            description="24 promoters raise money in their own networks for 24 projects, in 24 hours.",
            starts_at=now - timedelta(hours=3),
            ends_at=now + timedelta(hours=21),
            currency="EUR",
            organiser=organiser,
        )
        total = 0
        for n in range(PROJECTS):
            initiative = Initiative.objects.create(
                title=f"Project {n + 1}: water, school or clinic number {n + 1}",
                slug=f"{PREFIX}{n}",
                summary="A project in the 24-hour action.",
                status=Initiative.Status.OPEN,
                created_by=organiser,
            )
            TeamMember.objects.create(initiative=initiative, member=organiser, role=TeamMember.Role.OWNER)
            raised = (n * 7919) % 250_000 + 1_000
            total += raised
            project = CampaignProject.objects.create(
                campaign=campaign,
                initiative=initiative,
                target_minor=500_000,
                raised_minor=raised,
                donation_count=n + 3,
            )
            person = Member.objects.create_user(
                f"leaderboard-{n}@{EMAIL_DOMAIN}", None, name=f"Promoter {n + 1}"
            )
            Promoter.objects.create(
                campaign=campaign,
                member=person,
                project=project,
                story="I raise money for this project.",
                target_minor=250_000,
                raised_minor=raised,
                donation_count=n + 3,
            )
        Campaign.objects.filter(pk=campaign.pk).update(raised_minor=total, donation_count=PROJECTS * 14)
        MatchingFund.objects.create(campaign=campaign, sponsor="The Water Foundation", cap_minor=500_000)
        MatchingFund.objects.create(campaign=campaign, sponsor="A local bank", cap_minor=250_000)
    try:
        return {"url": reverse("giving:leaderboard", args=[SLUG]), "error": ""}
    except NoReverseMatch as exc:
        return {"url": None, "error": str(exc)}
