"""csv_import: rows per second and peak memory of the Ushahidi CSV importer on a 100,000-row v2 file.

A generated Ushahidi v2 export (100,000 rows by default; BENCH_CSV_ROWS to change) is imported with
`samen.reports.csv_import.import_reports`, the code behind `manage.py import_reports` and the
background web import: decoding, both passes of the CSV parser, date and coordinate checks, nested
bilingual categories, H3 cells and scrubbing (Report.prepare), the duplicate look-ups, the reports,
their categories and audit lines, and the map's cluster summaries, which are paused for the load
and rebuilt once at the end (clustering.pause_counting / resume_counting).

The import runs in a process of its own (after a warm-up of 1,000 rows into another map), so
`ru_maxrss` is that process's peak memory: Django, the file, and everything the import held.
The wall-clock rate is the result; the rate per CPU second is in the details, since on a shared
machine the wall clock also measures the neighbours.

Targets: at least 5,000 rows/s, and at most 300 MB at the peak.
"""

import os
import random

from harness import BenchError, Context, Result

NAME = "csv_import"
TARGET_ROWS_PER_SECOND = 5000
TARGET_PEAK_MB = 300
ROWS = int(os.environ.get("BENCH_CSV_ROWS", "100000"))
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
    outcome = ctx.django(f"{__name__}:measure", path=str(path), round_id="1")
    if outcome["rows"] != seeded["rows"] or outcome["summary"].get("rejected"):
        raise BenchError(f"the import stored {outcome['rows']} of {seeded['rows']} rows: {outcome}")
    ctx.progress(
        f"{NAME}: {outcome['rows_per_second']:,.0f} rows/s "
        f"({outcome['rows_per_cpu_second']:,.0f} per CPU second), peak {outcome['peak_mb']:.0f} MB"
    )
    ctx.django(f"{__name__}:clean")
    details = {
        **ctx.describe(),
        "rows": seeded["rows"],
        "file_bytes": seeded["bytes"],
        "format": "Ushahidi v2, dd/mm/YYYY dates, bilingual nested categories",
        "seconds": round(outcome["seconds"], 3),
        "cpu_seconds": round(outcome["cpu_seconds"], 3),
        "rows_per_cpu_second": round(outcome["rows_per_cpu_second"]),
        "rebuild_seconds": round(outcome["rebuild_seconds"], 3),
        "peak_mb": round(outcome["peak_mb"], 1),
        "import_summary": outcome["summary"],
    }
    return [
        Result.absolute(
            NAME, outcome["rows_per_second"], unit="rows/s", target=TARGET_ROWS_PER_SECOND, details=details
        ),
        Result.absolute(
            f"{NAME}_peak_memory",
            outcome["peak_mb"],
            unit="MB",
            target=TARGET_PEAK_MB,
            higher_is_better=False,
            details={"rows": seeded["rows"], "database": ctx.database_vendor},
        ),
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


def measure(path: str, round_id: str) -> dict:
    import resource
    import time

    from samen.reports import clustering, csv_import

    with open(path, "rb") as handle:
        data = handle.read()
    # Warm up (imports, caches, the database file) on the first thousand rows, into a map of its own.
    some = b"\r\n".join(data.split(b"\r\n")[:1001]) + b"\r\n"
    csv_import.import_reports(_new_map(f"{round_id}-warmup"), some, filename="warmup.csv")
    del some
    report_map = _new_map(round_id)
    rebuild = []
    resume = csv_import.resume_counting

    def timed_resume(target):
        started = time.perf_counter()
        resume(target)
        rebuild.append(time.perf_counter() - started)

    csv_import.resume_counting = timed_resume
    del data  # the importer is handed the bytes and lets go of them once decoded, as the task does
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        summary = csv_import.import_reports(report_map, handle.read(), filename="bench.csv")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    csv_import.resume_counting = resume
    assert not clustering.is_counting_paused(report_map)
    return {
        "rows": summary.imported,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows_per_second": summary.imported / seconds,
        "rows_per_cpu_second": summary.imported / cpu_seconds,
        "rebuild_seconds": sum(rebuild),
        # Linux gives ru_maxrss in KiB.
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "summary": {
            "imported": summary.imported,
            "duplicates": summary.duplicates,
            "rejected": summary.rejected,
            "categories_created": len(summary.categories_created),
        },
    }


def clean() -> dict:
    from django.db import connection, transaction

    from samen.initiatives.models import Initiative
    from samen.people.models import Member
    from samen.reports.clustering import pause_counting
    from samen.reports.models import Report, ReportChange, ReportMap

    with transaction.atomic():
        # Paused, the delete triggers skip the maps' summaries, which go in one statement each.
        maps = list(ReportMap.objects.filter(initiative__slug=SLUG).values_list("pk", flat=True))
        for pk in maps:
            pause_counting(ReportMap(pk=pk))
        reports = Report.objects.filter(report_map__initiative__slug=SLUG)
        # Straight DELETEs, children first: the collector would load every row to cascade.
        ReportChange.objects.filter(report__in=reports)._raw_delete(ReportChange.objects.db)
        Report.categories.through.objects.filter(report__in=reports)._raw_delete(Report.objects.db)
        reports._raw_delete(Report.objects.db)
        with connection.cursor() as cursor:
            for table in ("reports_cellcount", "reports_cellday", "reports_celltag", "reports_celltagday"):
                for pk in maps:
                    cursor.execute(f"DELETE FROM {table} WHERE report_map_id = %s", [pk])  # noqa: S608
            for pk in maps:
                cursor.execute("DELETE FROM reports_cellcount_paused WHERE report_map_id = %s", [pk])
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email=EMAIL).delete()
    return {}
