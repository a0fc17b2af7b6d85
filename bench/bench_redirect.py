"""redirect: throughput of /l/<code> (a tracked click: one touch INSERT and one daily UPSERT), against
the bare reference view in the same run. Target: at least 0.5 of the reference's requests per second.

The shared load generator counts anything but a 200 as an error, and a short link answers 302, so
this benchmark drives the same kind of keep-alive load itself (this file, run as a script, is the
load process) and interleaves rounds exactly as harness.compare does. Each request carries a
browser's user agent and no cookie: a first-time human visitor, the most expensive click.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

NAME = "redirect"
TARGET = 0.5
EMAIL_DOMAIN = "bench.samen.invalid"
SLUG = "bench-outreach-redirect"
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile Safari/537.36"


def run(ctx) -> list:
    from harness import REFERENCE_PATH, BenchError, Result

    seeded = ctx.django(f"{__name__}:seed")
    server = ctx.server()
    options = ctx.options
    paths = {"reference": (REFERENCE_PATH, 200), "redirect": (seeded["path"], 302)}
    loader = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(server.port), str(options.connections)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ctx.env,
    )

    def load(label: str, seconds: float) -> dict:
        path, status = paths[label]
        assert loader.stdin is not None and loader.stdout is not None
        loader.stdin.write(
            json.dumps({"path": path, "status": status, "seconds": seconds, "max": options.max_requests})
            + "\n"
        )
        loader.stdin.flush()
        outcome = json.loads(loader.stdout.readline())
        if outcome["errors"] or not outcome["requests"]:
            raise BenchError(f"{label} ({path}): {outcome['errors'][:1]}\n{server.log_tail()}")
        return outcome

    try:
        before = ctx.django(f"{__name__}:touches")
        for label in paths:
            ctx.progress(f"warming up {paths[label][0]}")
            load(label, options.warmup)
        rounds: dict[str, list[float]] = {label: [] for label in paths}
        cpu: dict[str, list[float]] = {label: [] for label in paths}
        for n in range(options.rounds):
            order = list(paths) if n % 2 == 0 else list(paths)[::-1]
            for label in order:
                cpu_before = server.worker_cpu_seconds()
                outcome = load(label, options.seconds)
                cpu_after = server.worker_cpu_seconds()
                rounds[label].append(outcome["requests"] / outcome["elapsed"])
                if cpu_before is not None and cpu_after is not None:
                    cpu[label].append((cpu_after - cpu_before) / outcome["requests"] * 1000)
                ctx.progress(f"round {n + 1}/{options.rounds}  {label}: {rounds[label][-1]:,.0f} req/s")
        after = ctx.django(f"{__name__}:touches")
    finally:
        if loader.stdin:
            loader.stdin.close()
        loader.wait(timeout=30)

    value = statistics.median(rounds["redirect"])
    baseline = statistics.median(rounds["reference"])
    details = {
        **ctx.describe(),
        "redirect": {"path": paths["redirect"][0], "rps_rounds": [round(r, 1) for r in rounds["redirect"]]},
        "reference": {"path": REFERENCE_PATH, "rps_rounds": [round(r, 1) for r in rounds["reference"]]},
        "server_cpu_ms_per_request": {
            label: round(statistics.median(values), 3) for label, values in cpu.items() if values
        },
        # Proof that every click was recorded, not just redirected.
        "touches_recorded": after - before,
    }
    if after <= before:
        raise BenchError("the redirect recorded no touches: it measured the wrong thing")
    return [Result.vs_baseline(NAME, value, baseline, unit="req/s", target=TARGET, details=details)]


def seed() -> dict:
    """Runs inside Django: one initiative, one message with two variants, one tracked link."""
    from django.db import transaction

    from samen.initiatives.models import Initiative, TeamMember
    from samen.outreach import actions
    from samen.outreach.attribution import tracked_url
    from samen.people.models import Member

    with transaction.atomic():
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email=f"redirect-owner@{EMAIL_DOMAIN}").delete()
        owner = Member.objects.create_user(f"redirect-owner@{EMAIL_DOMAIN}", None, name="Bench Owner")
        initiative = Initiative.objects.create(
            title="Bench redirect",
            slug=SLUG,
            summary="A benchmark.",
            status=Initiative.Status.OPEN,
            created_by=owner,
        )
        TeamMember.objects.create(initiative=initiative, member=owner, role=TeamMember.Role.OWNER)
        message = actions.create_message(
            initiative,
            by=owner,
            title="Bench",
            target="/reference/rows/",
            variants=[{"label": "A", "text": "One"}, {"label": "B", "text": "Two"}],
        )
        variant = message.variants.get(label="B")
        url = tracked_url(None, target=message.target, channel="whatsapp", variant=variant)
    return {"path": "/l/" + url.rsplit("/l/", 1)[1]}


def touches() -> int:
    from samen.outreach.models import Touch

    return Touch.objects.count()


# --- The load process ---------------------------------------------------------------------------


def _round(connections, path: str, status: int, seconds: float, max_requests: int) -> dict:
    budget = itertools.count()
    deadline = time.perf_counter() + seconds
    counts: list[int] = []
    errors: list[str] = []
    headers = {"Accept": "text/html", "Accept-Encoding": "identity", "User-Agent": USER_AGENT}

    def work(conn):
        done = 0
        while time.perf_counter() < deadline and next(budget) < max_requests:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (http.client.HTTPException, ConnectionError) as exc:
                conn.close()
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if response.status != status:
                errors.append(f"HTTP {response.status} for {path}, expected {status}")
                break
            done += 1
        counts.append(done)

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": sum(counts), "elapsed": time.perf_counter() - start, "errors": errors[:3]}


def _serve(port: int, count: int) -> None:
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(count)]
    for line in sys.stdin:
        if line.strip():
            command = json.loads(line)
            outcome = _round(
                connections, command["path"], command["status"], command["seconds"], command["max"]
            )
            sys.stdout.write(json.dumps(outcome) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    _serve(int(sys.argv[1]), int(sys.argv[2]))
