"""Every throttle holds across processes: two processes together get the limit once, not twice.

Two Python processes with production settings (read from the environment, as gunicorn's workers
read them) share only the database, or Redis, with each other. Each sends every scenario's
requests as many times as the limit allows (tests/throttle_worker.py): with per-process counting
both would get all of them through; with the shared cache exactly the limit passes, and everything
past it is answered 429 with Retry-After. Run once on the database cache (SQLite or PostgreSQL,
whichever the suite runs on) and once on Redis.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from samen.api.models import ApiToken
from samen.giving.models import FundraisingGoal
from samen.messaging.models import Channel
from samen.outreach import actions as outreach_actions
from samen.outreach import attribution

from .throttle_worker import REQUESTS

REDIS_URL = os.environ.get("SAMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
# Long windows: no window ends while the two processes run.
LIMITS = {
    "donate": "3/d",
    "report": "3/d",
    "subscribe": "3/d",
    "subscribe_address": "2/d",  # below the 3 confirmations a day that notify.py allows by itself
    "api_write": "3/d",
    "webhook_sms": "3/d",
    "webhook_email": "3/d",
    "webhook_payment": "3/d",
    "link_visitor": "1/d",
    "link_address": "2/d",
    "login": "3/d/ip",
    "login_failed": "3/d/key",
    "signup": "3/d/ip",
    "password_reset": "3/d/key",
}


def allowed(limit: str) -> int:
    return int(limit.split("/")[0])


@pytest.fixture
def seed(owner, member, outsider, initiative, report_map):
    FundraisingGoal.objects.create(
        initiative=initiative,
        amount_minor=100_000,
        currency="EUR",
        deadline=timezone.now() + timedelta(days=30),
    )
    message = outreach_actions.create_message(
        initiative,
        by=owner,
        title="Spring appeal",
        target=initiative.get_absolute_url(),
        variants=[{"label": "A", "text": "Help us build water points."}],
    )
    variant = message.variants.get()

    def link(channel):
        url = attribution.tracked_url(
            RequestFactory().get("/"), target=initiative.get_absolute_url(), channel=channel, variant=variant
        )
        return url.rsplit("/", 1)[1]

    return {
        "initiative": initiative.slug,
        "map": report_map.slug,
        "email": member.email,
        "token": ApiToken.issue(outsider, "throttle test")[1],
        "sms_channel": Channel.objects.create(kind="smssync", name="Phone", secret="right").pk,
        "email_channel": Channel.objects.create(kind="inbound_email", name="Mailgun", secret="key").pk,
        "visitor_link": link("whatsapp"),
        "address_link": link("sms"),
    }


@pytest.fixture
def shared_database(tmp_path):
    """The database URL the two processes use, and a way to count rows in it."""
    if connection.vendor == "sqlite":
        # The test database lives in this process's memory: the processes get a copy on disk.
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as copy:
            connection.connection.backup(copy)

        def count(sql, params=()):
            with sqlite3.connect(path) as db:
                return db.execute(sql, params).fetchone()[0]

        yield f"sqlite:///{path}", count
        return
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def count(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchone()[0]

    yield url, count
    with connection.cursor() as cursor:  # not a model: the test database's flush leaves it
        cursor.execute("DELETE FROM samen_cache")


def run_twins(env: dict, seed: dict, tmp_path) -> list[dict]:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    ours = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SAMEN_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.throttle_worker"],
            cwd=settings.BASE_DIR,
            env={**ours, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _name in "ab"
    ]
    jobs = [json.dumps({"seed": seed, "barrier": str(barrier), "name": name}) for name in "ab"]
    with ThreadPoolExecutor(2) as pool:  # both get their job before either is waited for
        outputs = list(
            pool.map(
                lambda pair: pair[0].communicate(pair[1], timeout=180), zip(processes, jobs, strict=True)
            )
        )
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    return [json.loads(out) for out, _err in outputs]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_together_get_each_limit_once(backend, seed, shared_database, tmp_path):
    database_url, count = shared_database
    env = {
        "DJANGO_SETTINGS_MODULE": "samen.settings",
        "DATABASE_URL": database_url,
        "SAMEN_SECRET_KEY": "throttle-test",
        "SAMEN_ALLOWED_HOSTS": "testserver",
        "SAMEN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SAMEN_MEDIA_ROOT": str(tmp_path / "media"),
        "SAMEN_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        **{f"SAMEN_THROTTLE_{name.upper()}": limit for name, limit in LIMITS.items()},
    }
    prefix = f"throttle-test-{uuid.uuid4().hex}:"
    if backend == "redis":
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.ConnectionError:
            pytest.fail(f"Redis is not answering at {REDIS_URL}; the shared Redis cache cannot be tested")
        env |= {"REDIS_URL": REDIS_URL, "SAMEN_CACHE_PREFIX": prefix}

    try:
        first, second = run_twins(env, seed, tmp_path)
    finally:
        if backend == "redis":
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)

    for name, limit in LIMITS.items():
        answers = first[name] + second[name]
        assert len(answers) == 2 * REQUESTS
        if name.startswith("link_"):
            # Clicks are never refused: past the limit they only stop counting.
            assert {a["status"] for a in answers} == {302}, (name, answers)
            continue
        if name == "login_failed":
            # allauth answers too many failures with a form error; the password is never checked then.
            assert sum(not a["locked"] for a in answers) == allowed(limit), (name, answers)
            continue
        refused = [a for a in answers if a["status"] == 429]
        assert len(answers) - len(refused) == allowed(limit), (name, backend, answers)
        assert all(int(a["retry_after"]) > 0 for a in refused), (name, refused)

    # What got through is all that reached the figures.
    assert count("SELECT COUNT(*) FROM giving_donation") == allowed(LIMITS["donate"])
    assert count("SELECT COUNT(*) FROM reports_report") == allowed(LIMITS["report"])
    assert count("SELECT COUNT(*) FROM reports_subscription WHERE address = ?", ["amina@example.org"]) == 2
    touches = "SELECT COUNT(*) FROM outreach_touch t JOIN outreach_trackedlink l ON l.id = t.link_id WHERE l.code = ?"
    assert count(touches, [seed["visitor_link"]]) == allowed(LIMITS["link_visitor"])
    assert count(touches, [seed["address_link"]]) == allowed(LIMITS["link_address"])
