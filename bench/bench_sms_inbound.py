"""sms_inbound: inbound SMS webhooks per second (SMSSync and Twilio), against the bare reference view.

Every request is a new message (a distinct message id and text, a valid secret or Twilio
signature), so none is answered from a retry shortcut: the secret or signature is checked, the raw
payload is stored (one INSERT) and its routing task is enqueued (one more, with django-tasks-db),
and the answer goes back in the gateway's format (SMSSync's JSON, after a look for queued replies;
Twilio's empty TwiML). Routing (the router, the report with its duplicate checks, the auto-reply)
happens afterwards in the worker, which is what lets a phone have its answer in milliseconds. The
reference view is loaded by the same client in the same interleaved rounds on the same gunicorn,
so the ratio says what intake costs, not how busy the machine was. Target: each gateway at least
0.5 of the reference view's requests per second.

The worker's side is measured too, in the details (`routing`): after the rounds, django-tasks-db's
`db_worker` routes the oldest ROUTE_SAMPLE queued messages into reports, timed, so the
report shows how fast a backlog drains as well as how fast it is taken in. No worker runs during
the rounds: on a two-core machine it would take CPU from the server it is measured against.

Results: `sms_inbound` (the slower of the two gateways, so the target holds for both),
`sms_inbound_smssync` and `sms_inbound_twilio`.

The harness's load generator only GETs fixed paths, so this module brings its own (run as a
subprocess: `python bench/bench_sms_inbound.py --load ...`), built the same way: threads with
keep-alive http.client connections, bounded by time and count, checking every status.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from harness import LOOPBACK, REFERENCE_PATH, BenchError, Comparison, Context, Result, Sample

NAME = "sms_inbound"
TARGET = 0.5
SLUG = "bench-sms-inbound"
KEYWORD = "BENCHMAJI"
EMAIL_DOMAIN = "bench.samen.invalid"
CHANNEL_PREFIX = "bench-sms-inbound"
LABELS = ("reference", "smssync", "twilio")
# How many queued messages the worker routes, timed, after the rounds (a few seconds' work).
ROUTE_SAMPLE = 300
# The Twilio channel's REST API: a closed local port, so that auto-replies the worker queues can
# never reach Twilio from a benchmark (core.http refuses the loopback address, unless
# SAMEN_HTTP_ALLOWED_HOSTS names it, and then nothing listens there).
NO_TWILIO = "http://127.0.0.1:9"
EXPECT = {"reference": b"Reference rows", "smssync": b'"success": true', "twilio": b"<Response"}


def run(ctx: Context) -> list[Result]:
    seeded = ctx.django(f"{__name__}:seed")
    server = ctx.server()
    options = ctx.options
    load = InboundLoadClient(server.port, options.connections, seeded, ctx.env)
    try:
        for label in LABELS:
            ctx.progress(f"warming up {label}")
            _check(label, load.round(label, options.warmup, options.max_requests), server)
        samples: list[Sample] = []
        for n in range(options.rounds):
            order = LABELS if n % 2 == 0 else LABELS[::-1]
            for label in order:
                before = server.worker_cpu_seconds()
                outcome = load.round(label, options.seconds, options.max_requests)
                after = server.worker_cpu_seconds()
                _check(label, outcome, server)
                sample = Sample(
                    label=label,
                    requests=outcome["requests"],
                    elapsed=outcome["elapsed"],
                    latencies_ms=outcome["latencies_ms"],
                    server_cpu_s=None if before is None or after is None else after - before,
                    client_cpu_s=outcome["client_cpu_s"],
                    bytes=outcome["bytes"],
                )
                samples.append(sample)
                ctx.progress(f"round {n + 1}/{options.rounds}  {label}: {sample.rps:,.0f} req/s")
    finally:
        load.stop()

    paths = {
        "reference": REFERENCE_PATH,
        "smssync": seeded["smssync"]["path"],
        "twilio": seeded["twilio"]["path"],
    }
    comparison = Comparison(paths, samples)
    counts = ctx.django(f"{__name__}:count_rows")
    ctx.progress(f"routing {ROUTE_SAMPLE} queued messages with db_worker")
    routing = ctx.django(f"{__name__}:route_sample", tasks=ROUTE_SAMPLE)
    reference = comparison.summary("reference")
    details = {
        **ctx.describe(),
        "reference": reference,
        "rows_after_run": counts,
        "routing": routing,
    }
    results = []
    per_gateway = {}
    for label in ("smssync", "twilio"):
        summary = comparison.summary(label)
        per_gateway[label] = {
            **summary,
            "ratio_of_round_pairs": round(comparison.pair_ratio(label, "reference"), 4),
            "cpu_ratio": _ratio(reference["server_cpu_ms_per_request"], summary["server_cpu_ms_per_request"]),
        }
        results.append(
            Result.vs_baseline(
                f"{NAME}_{label}",
                comparison.rps(label),
                comparison.rps("reference"),
                unit="req/s",
                target=TARGET,
                details={**details, label: per_gateway[label]},
            )
        )
    slower = min(("smssync", "twilio"), key=comparison.rps)
    results.insert(
        0,
        Result.vs_baseline(
            NAME,
            comparison.rps(slower),
            comparison.rps("reference"),
            unit="req/s",
            target=TARGET,
            details={**details, "slower_gateway": slower, **per_gateway},
        ),
    )
    return results


def _check(label: str, outcome: dict, server) -> None:
    if outcome["errors"]:
        statuses = ", ".join(f"{n} x HTTP {code}" for code, n in sorted(outcome["statuses"].items()))
        raise BenchError(
            f"{label}: {outcome['errors'][0]}\nresponses: {statuses}\nserver log:\n{server.log_tail()}"
        )
    if not outcome["requests"]:
        raise BenchError(f"{label}: no request completed\n{server.log_tail()}")


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 4) if numerator and denominator else None


# --- Inside Django (through ctx.django) ------------------------------------------------------------


def seed() -> dict:
    """A map that takes texts starting with BENCHMAJI, and one SMSSync and one Twilio channel."""
    from django.db import transaction
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from samen.initiatives.models import Initiative, TeamMember
    from samen.messaging.gateways.twilio import webhook_url
    from samen.messaging.models import Channel, InboundMessage, OutboundMessage
    from samen.messaging.tasks import deliver, route
    from samen.people.models import Member
    from samen.reports.models import ReportMap

    with transaction.atomic():
        Initiative.objects.filter(slug=SLUG).delete()
        Member.objects.filter(email=f"sms-inbound@{EMAIL_DOMAIN}").delete()
        # Last run's messages, their replies and the tasks for both, still queued when no worker
        # ran (on a kept DATABASE_URL): left behind, the worker sample would spend itself on them.
        bench_messages = InboundMessage.objects.filter(channel__name__startswith=CHANNEL_PREFIX)
        old = list(bench_messages.values_list("pk", flat=True))
        for start in range(0, len(old), 500):
            batch = old[start : start + 500]
            replies = list(OutboundMessage.objects.filter(in_reply_to__in=batch).values_list("pk", flat=True))
            for task, ids in ((deliver, replies), (route, batch)):
                DBTaskResult.objects.filter(task_path=task.module_path, args_kwargs__args__0__in=ids).delete()
            OutboundMessage.objects.filter(pk__in=replies).delete()
            InboundMessage.objects.filter(pk__in=batch).delete()
        Channel.objects.filter(name__startswith=CHANNEL_PREFIX).delete()
        owner = Member.objects.create_user(f"sms-inbound@{EMAIL_DOMAIN}", None, name="Bench Coordinator")
        initiative = Initiative.objects.create(
            title="Bench: water reports by SMS",
            slug=SLUG,
            summary="Reports by SMS, for the sms_inbound benchmark.",
            status=Initiative.Status.OPEN,
            created_by=owner,
        )
        TeamMember.objects.create(initiative=initiative, member=owner, role=TeamMember.Role.OWNER)
        ReportMap.objects.create(
            initiative=initiative,
            slug=SLUG,
            title="Bench water reports",
            channels=["web", "sms"],
            sms_keyword=KEYWORD,
            auto_reply="Thank you. Your report number is {number}.",
        )
        smssync = Channel.objects.create(
            kind="smssync", name=f"{CHANNEL_PREFIX} phone", secret=secrets.token_urlsafe(16)
        )
        account_sid = "AC" + secrets.token_hex(16)
        twilio = Channel.objects.create(
            kind="twilio",
            name=f"{CHANNEL_PREFIX} twilio",
            secret=secrets.token_hex(16),
            config={"account_sid": account_sid, "from": "+15005550006", "api_base": NO_TWILIO},
        )
    twilio_path = reverse("gateways:twilio", args=[twilio.pk])
    return {
        "smssync": {"path": reverse("gateways:smssync", args=[smssync.pk]), "secret": smssync.secret},
        "twilio": {
            "path": twilio_path,
            "token": twilio.secret,
            "account_sid": account_sid,
            "signed_url": webhook_url(twilio, twilio_path),
        },
    }


def count_rows() -> dict:
    from samen.messaging.models import InboundMessage
    from samen.reports.models import Report

    return {
        "inbound_messages": InboundMessage.objects.filter(channel__name__startswith=CHANNEL_PREFIX).count(),
        "reports": Report.objects.filter(report_map__slug=SLUG).count(),
    }


def route_sample(tasks: int) -> dict:
    """Let django-tasks-db's worker run the oldest `tasks` queued tasks (routing), and time it."""
    import io
    import logging

    from django.core.management import call_command

    from samen.messaging.models import InboundMessage
    from samen.reports.models import Report

    bench_messages = InboundMessage.objects.filter(channel__name__startswith=CHANNEL_PREFIX)
    waiting = bench_messages.filter(state=InboundMessage.State.NEW).count()
    reports_before = Report.objects.filter(report_map__slug=SLUG).count()
    # The worker logs every task; at this rate that is noise, not information.
    logging.disable(logging.INFO)
    cpu_before, started = os.times(), time.perf_counter()
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--max-tasks",
        str(tasks),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    elapsed, cpu_after = time.perf_counter() - started, os.times()
    logging.disable(logging.NOTSET)
    routed = waiting - bench_messages.filter(state=InboundMessage.State.NEW).count()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return {
        "queued_before": waiting,
        "routed": routed,
        "reports_made": Report.objects.filter(report_map__slug=SLUG).count() - reports_before,
        "seconds": round(elapsed, 3),
        "routed_per_second": round(routed / elapsed, 1) if elapsed else None,
        "worker_cpu_ms_per_message": round(cpu / routed * 1000, 3) if routed else None,
    }


# --- The load generator (a subprocess) -------------------------------------------------------------


class InboundLoadClient:
    def __init__(self, port: int, connections: int, seeded: dict, env: dict[str, str]):
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--load",
                str(port),
                str(connections),
                json.dumps(seeded),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def round(self, label: str, seconds: float, max_requests: int) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(
            json.dumps({"label": label, "seconds": seconds, "max_requests": max_requests}) + "\n"
        )
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BenchError(f"the inbound load generator exited with {self.process.wait()}")
        return json.loads(line)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RequestMaker:
    """Builds each request: distinct ids and texts, the right secret, a valid Twilio signature."""

    def __init__(self, seeded: dict):
        from twilio.request_validator import RequestValidator

        self.seeded = seeded
        self.run_id = secrets.token_hex(4)
        self.counter = itertools.count()  # next() is atomic under the GIL
        self.validator = RequestValidator(seeded["twilio"]["token"])

    def make(self, label: str) -> tuple[str, str, bytes | None, dict[str, str]]:
        if label == "reference":
            return "GET", REFERENCE_PATH, None, {"Accept": "text/html"}
        n = next(self.counter)
        sender = f"+2547{n % 10_000_000:08d}"
        text = f"{KEYWORD} Water point {self.run_id}-{n} is broken, please send help"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        if label == "smssync":
            fields = {
                "from": sender,
                "message": text,
                "message_id": f"{self.run_id}-{n}",
                "sent_timestamp": str(int(time.time() * 1000)),
                "sent_to": "+254700000001",
                "secret": self.seeded["smssync"]["secret"],
                "device_id": "1",
            }
            return "POST", self.seeded["smssync"]["path"], urlencode(fields).encode(), form
        twilio = self.seeded["twilio"]
        sid = f"SM{self.run_id}{n:024x}"
        fields = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": twilio["account_sid"],
            "From": sender,
            "To": "+254700000001",
            "Body": text,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        signature = self.validator.compute_signature(twilio["signed_url"], fields)
        return "POST", twilio["path"], urlencode(fields).encode(), {**form, "X-Twilio-Signature": signature}


def load_round(connections, maker: RequestMaker, label: str, seconds: float, max_requests: int) -> dict:
    expect = EXPECT[label]
    budget = itertools.count()
    outcomes: list[dict] = []
    start = time.perf_counter()
    deadline = start + seconds
    cpu_before = os.times()

    def work(conn: http.client.HTTPConnection) -> None:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        body_bytes, error = 0, ""
        while time.perf_counter() < deadline and next(budget) < max_requests:
            method, path, body, headers = maker.make(label)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError) as exc:
                conn.close()  # reopened on the next request; a POST is not retried (it is a new message)
                error = error or f"{type(exc).__name__}: {exc}"
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[response.status] += 1
            body_bytes += len(data)
            if response.status != 200 and not error:
                error = f"HTTP {response.status}: {data[:200]!r}"
            elif expect not in data and not error:
                error = f"the answer to {path} does not contain {expect!r}: {data[:200]!r}"
        outcomes.append({"latencies": latencies, "statuses": statuses, "bytes": body_bytes, "error": error})

    threads = [threading.Thread(target=work, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    cpu_after = os.times()
    statuses: Counter[int] = sum((o["statuses"] for o in outcomes), Counter())
    return {
        "requests": sum(len(o["latencies"]) for o in outcomes),
        "elapsed": elapsed,
        "latencies_ms": [round(ms, 3) for o in outcomes for ms in o["latencies"]],
        "statuses": {str(code): n for code, n in statuses.items()},
        "bytes": sum(o["bytes"] for o in outcomes),
        "errors": [o["error"] for o in outcomes if o["error"]],
        "client_cpu_s": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system),
    }


def load_main(port: int, count: int, seeded: dict) -> None:
    maker = RequestMaker(seeded)
    connections = [http.client.HTTPConnection(LOOPBACK, port, timeout=30) for _ in range(count)]
    for line in sys.stdin:
        if line.strip():
            command = json.loads(line)
            result = load_round(
                connections, maker, command["label"], command["seconds"], command["max_requests"]
            )
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--load":
        load_main(int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]))
    else:
        sys.exit(
            "usage: bench_sms_inbound.py --load PORT CONNECTIONS SEEDED_JSON (the benchmark starts this itself)"
        )
