"""campaign_spike: 50 donors at once during a 24-hour action, on the campaign page and the donate endpoint.

Each donor is a thread with its own keep-alive connection and cookies. It opens the donate page
through a promoter's link once (for the CSRF cookie and token), then loops until the time is up:
look at the campaign page (the leaderboard), think, pledge a random amount through the donate form
(a real form POST, CSRF-checked, that creates a Donation and moves every total with F()), think.
Thinking is 0.5-1.5 s, uniformly random: 50 people refreshing a leaderboard and giving, not 50
tight loops. The server is the production one (gunicorn, 2 workers = 2 app processes); run it on
PostgreSQL (DATABASE_URL) for the result that counts.

Results:
- `campaign_spike_p95`: the 95th percentile latency of every request (page and POST), target <= 150 ms;
- `campaign_spike_totals_exact`: 1 when the campaign's, the promoters' and the project's totals
  each equal the sum of the pledges the server accepted (a 302), and the Donation rows agree; else 0.

Duration: SAMEN_BENCH_SPIKE_SECONDS (default 60); donors: SAMEN_BENCH_SPIKE_DONORS (default 50).
The load runs in a subprocess (`python bench/bench_campaign_spike.py --load ...`), like sms_inbound's.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from harness import LOOPBACK, BenchError, Context, Result

NAME = "campaign_spike"
TARGET_P95_MS = 150
SLUG = "bench-spike-action"
PREFIX = "bench-spike-"
EMAIL_DOMAIN = "bench.samen.invalid"
PROMOTERS = 10
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def run(ctx: Context) -> list[Result]:
    seconds = float(os.environ.get("SAMEN_BENCH_SPIKE_SECONDS", "60"))
    donors = int(os.environ.get("SAMEN_BENCH_SPIKE_DONORS", "50"))
    seeded = ctx.django(f"{__name__}:seed")
    server = ctx.server()
    ctx.progress(f"{donors} donors for {seconds:.0f} s on {seeded['campaign']}")
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__)),
            "--load",
            str(server.port),
            json.dumps(seeded),
            str(seconds),
            str(donors),
        ],
        capture_output=True,
        text=True,
        env=ctx.env,
        timeout=seconds + 120,
    )
    if done.returncode:
        raise BenchError(f"the donors crashed:\n{done.stdout}{done.stderr}\n{server.log_tail()}")
    load = json.loads(done.stdout)
    if load["errors"]:
        raise BenchError(f"donors saw errors: {load['errors'][:5]} {load['statuses']}\n{server.log_tail()}")
    totals = ctx.django(f"{__name__}:totals")
    exact = (
        totals["campaign"]
        == totals["projects"]
        == totals["promoters"]
        == totals["rows"]
        == load["accepted_minor"]
        and totals["campaign_count"] == totals["row_count"] == load["accepted"]
    )
    latencies = sorted(load["latencies_ms"])
    by_kind = {kind: _summary(sorted(values)) for kind, values in load["by_kind"].items()}
    details = {
        **ctx.describe(),
        "donors": donors,
        "seconds": seconds,
        "think_seconds": [0.5, 1.5],
        "requests": len(latencies),
        "pledges_accepted": load["accepted"],
        "accepted_minor": load["accepted_minor"],
        "totals": totals,
        "by_kind": by_kind,
        "statuses": load["statuses"],
        **_summary(latencies),
    }
    return [
        Result.absolute(
            f"{NAME}_p95",
            _percentile(latencies, 0.95),
            unit="ms",
            target=TARGET_P95_MS,
            higher_is_better=False,
            details=details,
        ),
        Result.absolute(
            f"{NAME}_totals_exact",
            1.0 if exact else 0.0,
            unit="bool",
            target=1.0,
            details={"totals": totals, "accepted_minor": load["accepted_minor"]},
        ),
    ]


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("inf")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(ordered: list[float]) -> dict:
    return {
        "p50_ms": round(_percentile(ordered, 0.5), 2),
        "p95_ms": round(_percentile(ordered, 0.95), 2),
        "p99_ms": round(_percentile(ordered, 0.99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else None,
    }


# --- Inside Django ---------------------------------------------------------------------------------


def seed() -> dict:
    from django.db import transaction
    from django.utils import timezone

    from samen.giving.models import Campaign, CampaignProject, Donation, Promoter
    from samen.initiatives.models import Initiative, TeamMember
    from samen.people.models import Member

    now = timezone.now()
    with transaction.atomic():
        Donation.objects.filter(initiative__slug__startswith=PREFIX).delete()
        Campaign.objects.filter(slug=SLUG).delete()
        Initiative.objects.filter(slug__startswith=PREFIX).delete()
        Member.objects.filter(email__startswith="spike-", email__endswith=f"@{EMAIL_DOMAIN}").delete()
        organiser = Member.objects.create_user(f"spike-organiser@{EMAIL_DOMAIN}", None, name="Organiser")
        campaign = Campaign.objects.create(
            slug=SLUG,
            title="Spike: the 24-hour action",
            description="Everyone gives at once.",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=23),
            currency="EUR",
            organiser=organiser,
        )
        initiative = Initiative.objects.create(
            title="Spike: a well for the village",
            slug=f"{PREFIX}well",
            summary="The project every donor gives to.",
            status=Initiative.Status.OPEN,
            created_by=organiser,
        )
        TeamMember.objects.create(initiative=initiative, member=organiser, role=TeamMember.Role.OWNER)
        project = CampaignProject.objects.create(
            campaign=campaign, initiative=initiative, target_minor=10_000_000
        )
        promoters = []
        for n in range(PROMOTERS):
            person = Member.objects.create_user(f"spike-{n}@{EMAIL_DOMAIN}", None, name=f"Spike promoter {n}")
            promoters.append(
                Promoter.objects.create(
                    campaign=campaign,
                    member=person,
                    project=project,
                    story="Give now!",
                    target_minor=1_000_000,
                ).pk
            )
    return {
        "campaign": f"/give/campaigns/{SLUG}/",
        "give": f"/give/to/{initiative.slug}/",
        "promoters": promoters,
    }


def totals() -> dict:
    from django.db.models import Count, Sum

    from samen.giving.models import Campaign, CampaignProject, Donation, Promoter

    campaign = Campaign.objects.get(slug=SLUG)
    rows = Donation.objects.filter(campaign=campaign).aggregate(
        total=Sum("amount_minor", default=0), n=Count("id")
    )
    return {
        "campaign": campaign.raised_minor,
        "campaign_count": campaign.donation_count,
        "projects": CampaignProject.objects.filter(campaign=campaign).aggregate(t=Sum("raised_minor"))["t"],
        "promoters": Promoter.objects.filter(campaign=campaign).aggregate(t=Sum("raised_minor"))["t"],
        "rows": rows["total"],
        "row_count": rows["n"],
    }


# --- The donors (a subprocess) ---------------------------------------------------------------------


class Donor:
    def __init__(self, port: int, seeded: dict, n: int, deadline: float, rng: random.Random):
        self.conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        self.seeded, self.n, self.deadline, self.rng = seeded, n, deadline, rng
        self.cookies: dict[str, str] = {}
        self.promoter = seeded["promoters"][n % len(seeded["promoters"])]
        self.latencies: dict[str, list[float]] = {"page": [], "donate": []}
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.accepted = self.accepted_minor = 0

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {"Host": f"{LOOPBACK}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                elapsed = (time.perf_counter() - t0) * 1000
                break
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                self.conn.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.statuses[response.status] += 1
        return response.status, content, elapsed

    def run(self) -> None:
        try:
            status, content, _ = self._request("GET", f"{self.seeded['give']}?promoter={self.promoter}")
            found = CSRF.search(content)
            if status != 200 or not found:
                self.errors.append(f"donate page answered {status}")
                return
            token = found.group(1).decode()
            while time.perf_counter() < self.deadline:
                status, content, elapsed = self._request("GET", self.seeded["campaign"])
                self.latencies["page"].append(elapsed)
                if status != 200 or b"Leaderboard" not in content:
                    self.errors.append(f"campaign page answered {status}")
                    return
                self._think()
                if time.perf_counter() >= self.deadline:
                    break
                amount = self.rng.randint(100, 5000)
                form = (
                    f"csrfmiddlewaretoken={token}&amount={amount // 100}.{amount % 100:02d}&currency=EUR"
                    f"&email=donor{self.n}%40{EMAIL_DOMAIN}&name=Donor+{self.n}&provider=pledge"
                    f"&promoter={self.promoter}"
                ).encode()
                status, content, elapsed = self._request(
                    "POST",
                    self.seeded["give"],
                    form,
                    {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{LOOPBACK}/"},
                )
                self.latencies["donate"].append(elapsed)
                if status != 302:
                    self.errors.append(f"donate answered {status}: {content[:300]!r}")
                    return
                self.accepted += 1
                self.accepted_minor += amount
                self._think()
        except Exception as error:  # noqa: BLE001 - reported, and the run fails
            self.errors.append(f"{error.__class__.__name__}: {error}")

    def _think(self) -> None:
        time.sleep(min(self.rng.uniform(0.5, 1.5), max(0.0, self.deadline - time.perf_counter())))


def load(port: int, seeded: dict, seconds: float, donors: int) -> dict:
    deadline = time.perf_counter() + seconds
    rng = random.Random(2026)
    people = [Donor(port, seeded, n, deadline, random.Random(rng.random())) for n in range(donors)]
    threads = [threading.Thread(target=person.run) for person in people]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # everyone arrives within a second, not in the same microsecond
    for thread in threads:
        thread.join()
    statuses: Counter[int] = Counter()
    for person in people:
        statuses.update(person.statuses)
    return {
        "latencies_ms": [x for p in people for kind in p.latencies.values() for x in kind],
        "by_kind": {kind: [x for p in people for x in p.latencies[kind]] for kind in ("page", "donate")},
        "accepted": sum(p.accepted for p in people),
        "accepted_minor": sum(p.accepted_minor for p in people),
        "errors": [e for p in people for e in p.errors],
        "statuses": {str(k): v for k, v in statuses.items()},
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--load"]:
    port, seeded, seconds, donors = (
        int(sys.argv[2]),
        json.loads(sys.argv[3]),
        float(sys.argv[4]),
        int(sys.argv[5]),
    )
    print(json.dumps(load(port, seeded, seconds, donors)))
