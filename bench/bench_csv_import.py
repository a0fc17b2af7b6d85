"""csv_import: rows per second of the Ushahidi CSV importer, against raw bulk_create of the same rows.

A generated Ushahidi v2 export (20,000 rows by default; BENCH_CSV_ROWS to change) is imported with
`samen.reports.csv_import.import_reports`, the code behind both `manage.py import_reports` and the
import page: decoding, the CSV parser, date and coordinate checks, categories, H3 cells, scrubbing,
the duplicate look-ups, the reports, their categories and their audit lines. The baseline inserts
the very same Report rows, already built (cells and scrubbed text computed beforehand), with one
`bulk_create`: the floor any importer stands on. Both run in the same process kind, on the same
database, interleaved (baseline, import, import, baseline, ...) so that whatever else the machine
does falls on both. Each round writes into a map of its own, so no round sees another's rows.

Target: the importer reaches at least 0.15 of raw bulk_create's rows per second.
"""

import os
import random
import statistics

from harness import BenchError, Context, Result

NAME = "csv_import"
TARGET = 0.15
ROWS = int(os.environ.get("BENCH_CSV_ROWS", "20000"))
ROUNDS = 3
SLUG = "bench-csv-import"
EMAIL = "importer@bench.samen.invalid"

CATEGORIES = [
    "1. Urgences | Emergency",
    "1a. Personnes coincées | Trapped people",
    "1b. Urgences médicales | Medical emergency",
    "2. Urgences logistiques | Vital lines",
    "2a. Pénurie d'eau | Water shortage",
    "2b. Pénurie de nourriture | Food shortage",
    "3. Sécurité publique | Public health",
    "4. Services disponibles | Services available",
]
CENTRES = [(18.5392, -72.3364), (18.5125, -72.2853), (18.2341, -72.5350), (19.7580, -72.2050)]
TITLES = ["Building collapsed", "Need water", "Road blocked", "People trapped", "Food needed", "Shelter open"]
PLACES = ["Delmas 33", "Carrefour", "Pétion-Ville", "Léogâne", "Jacmel", "Cap-Haïtien", "Champ de Mars"]


def run(ctx: Context) -> list[Result]:
    path = ctx.tmp / "ushahidi_v2.csv"
    seeded = ctx.django(f"{__name__}:seed", path=str(path), rows=ROWS)
    ctx.progress(f"{NAME}: {seeded['rows']:,} rows, {seeded['bytes'] / 1e6:.1f} MB")
    # One small round of each, unrecorded: imports, caches and the database file warm up.
    ctx.django(f"{__name__}:measure", kind="baseline", path=str(path), round_id="warmup-b", limit=1000)
    ctx.django(f"{__name__}:measure", kind="import", path=str(path), round_id="warmup-i", limit=1000)
    order = ["baseline", "import", "import", "baseline", "baseline", "import"][: ROUNDS * 2]
    timings: dict[str, list[dict]] = {"baseline": [], "import": []}
    for n, kind in enumerate(order):
        outcome = ctx.django(f"{__name__}:measure", kind=kind, path=str(path), round_id=str(n))
        if outcome["rows"] != seeded["rows"] or outcome["summary"].get("rejected"):
            raise BenchError(f"{kind} stored {outcome['rows']} of {seeded['rows']} rows: {outcome}")
        timings[kind].append(outcome)
        ctx.progress(f"{NAME}: round {n + 1}/{len(order)} {kind}: {outcome['rows_per_second']:,.0f} rows/s")
    ctx.django(f"{__name__}:clean")

    importer = statistics.median(t["rows_per_second"] for t in timings["import"])
    baseline = statistics.median(t["rows_per_second"] for t in timings["baseline"])
    return [
        Result.vs_baseline(
            NAME,
            importer,
            baseline,
            unit="rows/s",
            target=TARGET,
            details={
                "database": ctx.database_vendor,
                "rows": seeded["rows"],
                "file_bytes": seeded["bytes"],
                "format": "Ushahidi v2, dd/mm/YYYY dates, bilingual nested categories",
                "import_seconds": [round(t["seconds"], 3) for t in timings["import"]],
                "baseline_seconds": [round(t["seconds"], 3) for t in timings["baseline"]],
                "import_summary": timings["import"][0]["summary"],
            },
        )
    ]


def _generate(rows: int) -> list[list[str]]:
    """Deterministic rows, like a busy crisis deployment's export: the same every run."""
    rng = random.Random(2010)  # noqa: S311 - test data, not secrets
    out = []
    for n in range(1, rows + 1):
        lat, lon = rng.choice(CENTRES)
        title = f"{rng.choice(TITLES)} {n}"
        description = (
            f"Report {n}: {rng.choice(TITLES).lower()} near {rng.choice(PLACES)}. "
            + "Many families are affected and need help as soon as possible. " * rng.randint(1, 4)
        )
        if n % 5 == 0:
            description += f"Call me on +509 3{rng.randint(100, 999)} {rng.randint(1000, 9999)}."
        categories = rng.sample(CATEGORIES, rng.randint(1, 2))
        out.append(
            [
                str(n),
                title,
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2010 {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                rng.choice(PLACES),
                description,
                "".join(f"{name}, " for name in categories),
                f"{lat + rng.uniform(-0.05, 0.05):.6f}",
                f"{lon + rng.uniform(-0.05, 0.05):.6f}",
                "YES" if rng.random() < 0.8 else "NO",
                "YES" if rng.random() < 0.3 else "NO",
            ]
        )
    return out


# --- Inside Django (bench/in_django.py) --------------------------------------------------------------


def seed(path: str, rows: int) -> dict:
    import csv
    import io

    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member

    clean()
    owner = Member.objects.create_user(EMAIL, None, name="Bench Importer")
    initiative = Initiative.objects.create(
        title="Bench: CSV import", slug=SLUG, summary="Benchmark data.", status="open", created_by=owner
    )
    TeamMember.objects.create(initiative=initiative, member=owner, role=TeamMember.Role.OWNER)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["#", "INCIDENT TITLE", "INCIDENT DATE", "LOCATION", "DESCRIPTION", "CATEGORY"]
        + ["LATITUDE", "LONGITUDE", "APPROVED", "VERIFIED"]
    )
    writer.writerows(_generate(rows))
    data = buffer.getvalue().encode()
    with open(path, "wb") as handle:
        handle.write(data)
    return {"rows": rows, "bytes": len(data)}


def _new_map(round_id: str):
    from samen.initiatives.models import Initiative
    from samen.reports.models import ReportMap

    return ReportMap.objects.create(
        initiative=Initiative.objects.get(slug=SLUG),
        slug=f"{SLUG}-{round_id}",
        title=f"Bench round {round_id}",
        channels=["import"],
    )


def measure(kind: str, path: str, round_id: str, limit: int | None = None) -> dict:
    import time

    from samen.reports.csv_import import import_reports

    with open(path, "rb") as handle:
        data = handle.read()
    if limit:
        # Keep the header and the first `limit` rows (CRLF line ends, no line breaks inside fields).
        data = b"\r\n".join(data.split(b"\r\n")[: limit + 1]) + b"\r\n"
    report_map = _new_map(round_id)
    if kind == "import":
        started = time.perf_counter()
        summary = import_reports(report_map, data, filename="bench.csv")
        seconds = time.perf_counter() - started
        stored = summary.imported
        brief = {
            "imported": summary.imported,
            "duplicates": summary.duplicates,
            "rejected": summary.rejected,
            "categories_created": len(summary.categories_created),
        }
    else:
        reports = _equivalent_reports(report_map, data)
        started = time.perf_counter()
        stored = len(_bulk_create(reports))
        seconds = time.perf_counter() - started
        brief = {}
    return {"rows": stored, "seconds": seconds, "rows_per_second": stored / seconds, "summary": brief}


def _bulk_create(reports):
    from samen.reports.models import Report

    return Report.objects.bulk_create(reports, batch_size=1000)


def _equivalent_reports(report_map, data: bytes) -> list:
    """The rows the importer would store, built ahead of the clock: what raw bulk_create gets."""
    import csv
    import io
    from datetime import datetime
    from decimal import Decimal

    from django.utils import timezone

    from samen.reports.models import Category, Report

    category = Category.objects.create(
        report_map=report_map, title="Emergency", translations={"fr": "Urgences"}
    )
    now = timezone.now()
    reports = []
    rows = csv.reader(io.StringIO(data.decode(), newline=""))
    next(rows)
    for number, title, when, place, description, _categories, lat, lon, approved, verified in rows:
        published = approved == "YES"
        report = Report(
            report_map=report_map,
            source=Report.Source.IMPORT,
            title=title,
            description=description,
            place_name=place,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
            event_at=timezone.make_aware(datetime.strptime(when, "%d/%m/%Y %H:%M")),
            status=Report.Status.PUBLISHED if published else Report.Status.RECEIVED,
            verified=verified == "YES",
            external_id=f"v2:{number}",
            primary_category=category,
            created_at=now,
            published_at=now if published else None,
        )
        report.prepare()
        reports.append(report)
    return reports


def clean() -> dict:
    from django.db import transaction

    from samen.initiatives.models import Initiative
    from samen.people.models import Member
    from samen.reports.models import Report, ReportChange

    with transaction.atomic():
        reports = Report.objects.filter(report_map__initiative__slug=SLUG)
        # Straight DELETEs, children first: the collector would load every row to cascade.
        ReportChange.objects.filter(report__in=reports)._raw_delete(ReportChange.objects.db)
        Report.categories.through.objects.filter(report__in=reports)._raw_delete(Report.objects.db)
        reports._raw_delete(Report.objects.db)
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email=EMAIL).delete()
    return {}
