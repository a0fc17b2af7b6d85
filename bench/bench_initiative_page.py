"""initiative_page: throughput of the public initiative page, against a bare 20-row view.

Both pages render through base.html on the same server in the same run, so the ratio shows what
the initiative page itself costs (its queries, its Markdown, its template) and not how busy the
machine happened to be. Target: at least 0.7 of the reference view's requests per second.
"""

from datetime import timedelta

from harness import REFERENCE_PATH, BenchError, Context, Result

NAME = "initiative_page"
TARGET = 0.7
SLUG = "bench-de-groene-hoek"
# Members made here share a reserved domain, so a rerun on a kept database replaces rather than adds.
EMAIL_DOMAIN = "bench.samen.invalid"
TITLE = "De Groene Hoek: a neighbourhood vegetable garden"


def run(ctx: Context) -> list[Result]:
    seeded = ctx.django(f"{__name__}:seed")
    if not seeded["url"]:
        raise BenchError(f"the initiative page is not routed: {seeded['error']}")
    paths = {"reference": REFERENCE_PATH, "page": seeded["url"]}
    queries = ctx.django("harness:count_queries", paths=list(paths.values()))
    comparison = ctx.compare(paths, expect={"reference": "Reference rows", "page": TITLE})

    page, reference = comparison.summary("page"), comparison.summary("reference")
    details = {
        **ctx.describe(),
        "page": {**page, "queries": queries[paths["page"]]},
        "reference": {**reference, "queries": queries[paths["reference"]]},
        "ratio_of_round_pairs": round(comparison.pair_ratio("page", "reference"), 4),
        # The throughput ratio that server CPU per request implies: steadier when the machine is busy.
        "cpu_ratio": _ratio(reference["server_cpu_ms_per_request"], page["server_cpu_ms_per_request"]),
        "seed": {"team": 3, "updates": 5, "followers": 50, "story_chars": len(STORY)},
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


def seed() -> dict:
    """Runs inside Django (see in_django.py): one open initiative as a real one would look."""
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.urls import NoReverseMatch
    from django.utils import timezone

    from samen.initiatives.models import Follow, Initiative, TeamMember, Update
    from samen.people.models import Member

    now = timezone.now()
    with transaction.atomic():
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()

        # No password: hashing 53 of them would take longer than the whole benchmark.
        def member(local: str, name: str, **profile) -> Member:
            return Member.objects.create_user(f"{local}@{EMAIL_DOMAIN}", None, name=name, **profile)

        owner = member("anouk", "Anouk de Vries", bio="Gardener and neighbour.", place_name="Utrecht")
        team = [owner, member("samir", "Samir El Amrani"), member("lotte", "Lotte Jansen")]
        initiative = Initiative.objects.create(
            title=TITLE,
            slug=SLUG,
            summary="Neighbours turn an empty lot into a shared vegetable garden, with a weekly harvest "
            "for the food bank and a Saturday workshop for children.",
            story=STORY,
            causes=["environment", "food", "community"],
            place_name="Lombok, Utrecht",
            latitude="52.092876",
            longitude="5.104480",
            status=Initiative.Status.OPEN,
            created_by=owner,
            created_at=now - timedelta(days=60),
        )
        initiative.image.save("groene-hoek.jpg", ContentFile(_jpeg()), save=True)
        TeamMember.objects.bulk_create(
            TeamMember(initiative=initiative, member=person, role=role)
            for person, role in zip(team, ["owner", "team", "team"], strict=True)
        )
        for n, (title, body) in enumerate(UPDATES):
            Update.objects.create(
                initiative=initiative,
                author=team[n % 3],
                title=title,
                body=body,
                created_at=now - timedelta(days=50 - 10 * n),
                mailed_at=now,
            )
        followers = [member(f"follower{n}", f"Follower {n}") for n in range(50)]
        Follow.objects.bulk_create(Follow(initiative=initiative, member=person) for person in followers)
        Initiative.objects.filter(pk=initiative.pk).update(follower_count=len(followers))

    try:
        return {"url": initiative.get_absolute_url(), "error": ""}
    except NoReverseMatch as exc:
        return {"url": None, "error": str(exc)}


def _jpeg() -> bytes:
    """A photo-sized JPEG, so the page shows an image as most initiatives will."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (1200, 800), (92, 140, 70)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


STORY = """\
## Why a garden here

The lot on the corner of Kanaalstraat and Damstraat has been empty for six years. Behind the fence
there is rubble, a few brave sunflowers and a lot of space. We want to turn it into a **shared
vegetable garden** that anyone in the street can join, whatever their age, language or experience.

Lombok is one of the most mixed neighbourhoods in Utrecht. Many of us live in flats without a
balcony, and many of our children have never seen a potato grow. A garden gives us a reason to
meet, to learn from each other and to eat better.

## What we will do

1. Clear the lot with volunteers over three Saturdays in March.
2. Build twelve raised beds from reclaimed scaffolding planks.
3. Plant vegetables and herbs that the neighbourhood actually cooks with: tomatoes, courgettes,
   coriander, mint, okra, pak choi and beans.
4. Run a **Saturday workshop for children** from April to October.
5. Give a weekly harvest box to the [Voedselbank Utrecht](https://voedselbankutrecht.nl/).

## What we need

| What                         | How much         | Why                                   |
|------------------------------|------------------|---------------------------------------|
| Volunteers for clearing      | 30 people        | Three Saturdays, four hours each      |
| Scaffolding planks           | 80 planks        | For twelve raised beds                |
| Compost and soil             | 9 cubic metres   | The lot is mostly rubble              |
| Money                        | EUR 2,400        | Tools, seeds, a water butt and a shed |
| Someone who knows irrigation | 1 or 2 people    | A few hours of advice in spring       |

## Who we are

We are three neighbours. *Anouk* has kept an allotment for twenty years. *Samir* is a carpenter
and will lead the building of the beds. *Lotte* teaches at the primary school around the corner
and will run the children's workshop.

> "The best time to plant a tree was twenty years ago. The second best time is now."

## How the money is spent

Every euro is accounted for in our updates. We publish receipts, and anything left at the end of
the season goes to next year's seeds. The housing corporation that owns the lot has agreed to a
five-year lease for a symbolic EUR 1 a year, provided that we keep the garden open to everyone
during daylight hours and leave the lot clean if we stop.

## Join us

Follow this initiative to get our updates, or come by on a Saturday morning. Bring gloves and
good shoes; we bring coffee and *koekjes*. Questions? Ask below, or find us at the Saturday
market next to the mosque.
"""

UPDATES = [
    (
        "The lease is signed",
        "After four months of meetings the housing corporation signed a five-year lease for the lot. "
        "Thank you to everyone who wrote a letter of support: **63 of you** did.\n\n"
        "Next: the first clearing day, Saturday 8 March from 10:00.",
    ),
    (
        "First clearing day: 41 people came",
        "We expected twenty. Forty-one neighbours came, and two skips of rubble are gone. "
        "Special thanks to the scouts of Lombok, who carried more than anyone.\n\n"
        "- 2 skips filled\n- 1 wheelbarrow broken\n- 0 injuries\n\nPhotos are on the board at the entrance.",
    ),
    (
        "Twelve raised beds are built",
        "Samir and his crew built all twelve beds from reclaimed scaffolding planks donated by "
        "Bouwbedrijf Van Dijk. The soil arrives on Thursday; we need six people with wheelbarrows.",
    ),
    (
        "Receipts for March and April",
        "We spent EUR 1,130 so far:\n\n| Item | Amount |\n|---|---|\n| Seeds and plants | EUR 310 |\n"
        "| Tools | EUR 420 |\n| Water butt and hoses | EUR 180 |\n| Shed (second-hand) | EUR 220 |\n\n"
        "All receipts are in the shed, in the blue folder, for anyone who wants to see them.",
    ),
    (
        "The first harvest went to the food bank",
        "Eleven kilos of courgettes, herbs and pak choi went to the Voedselbank on Friday. "
        "The children's workshop starts next Saturday at 10:00; there is room for eight more children.",
    ),
]
