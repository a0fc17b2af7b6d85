"""A crash loses nothing: a real db_worker killed with SIGKILL in the middle of 200 texts.

The texts arrive through SMSSync's endpoint, form-encoded as the phone sends them, for a map that
answers each report. A real `db_worker` (django-tasks-db, in its own process, on a real database:
PostgreSQL's test database, or for SQLite a file copied from the test database) routes them and is
killed at a known point inside a routing transaction (see crashing_worker.py). `messaging_requeue`
gives the dead worker's claim back to the queue, a second `manage.py db_worker` finishes, and every
text has made one report and one reply: none lost, none twice.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage, OutboundMessage
from samen.messaging.tests.payloads import form
from samen.reports.models import Report

TEXTS = 200
# The first worker is stopped while routing this text (the replies before it are committed).
STOP_AT = 60
SECRET = "smssync-secret"
# Generous for a loaded two-core machine; the whole test takes well under a minute when it is idle.
WAIT_SECONDS = 120


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """A DATABASE_URL that other processes can open, holding what this test writes.

    PostgreSQL: the test database itself. SQLite: pytest-django's test database lives in this
    process's memory, so it is copied to a file and this process works on the file until the end.
    """
    connection = connections["default"]
    config = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{quote(config['PASSWORD'], safe='')}" if config.get("PASSWORD") else ""
        user = quote(config.get("USER") or "", safe="")
        yield f"postgres://{user}{password}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"
        return
    if not connection.is_in_memory_db():
        yield f"sqlite:///{config['NAME']}"
        return
    path = tmp_path / "samen.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    # Closing an in-memory database would drop it: keep its connection aside and put it back.
    memory, name = connection.connection, config["NAME"]
    connection.connection = None
    config["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        config["NAME"] = name
        connection.connection = memory


def worker_env(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "REDIS_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="samen.settings",
        SAMEN_TASKS_BACKEND="db",
        SAMEN_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    return env


def text(number: int) -> dict[str, str]:
    """One SMSSync POST: the recorded payload with its own message id, sender and words."""
    fields = form("smssync_incoming.form")
    fields.update(
        {
            "message_id": f"5f0c1e2a-0000-4000-8000-{number:012d}",
            "from": f"+2547123{number:05d}",
            "message": f"MAJI Water point {number} at the market is broken",
            "sent_timestamp": str(1718193600000 + number * 1000),
        }
    )
    return fields


def wait_for(path: Path, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the worker ended (exit {process.returncode}) before it got there:\n{output}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the worker did not reach reply {STOP_AT} in {WAIT_SECONDS} s")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_text_and_doubles_no_report_or_reply(
    database_tasks, report_map, shared_database, tmp_path
):
    from django_tasks_db.models import DBTaskResult

    from samen.messaging.tasks import route

    channel = Channel.objects.create(kind="smssync", name="Kibera phone", secret=SECRET)
    url = reverse("gateways:smssync", args=[channel.pk])
    client = Client()
    for number in range(TEXTS):
        response = client.post(
            url, data=urlencode(text(number)), content_type="application/x-www-form-urlencoded"
        )
        assert response.json() == {"payload": {"success": True, "error": None}}
    assert DBTaskResult.objects.filter(status="READY").count() == TEXTS

    env = worker_env(shared_database)
    repo = Path(django_settings.BASE_DIR)
    marker = tmp_path / "stopped"
    worker_options = ["--no-startup-delay", "--no-reload", "--interval", "0.1", "-v", "0"]
    first = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "samen.reports.tests.crashing_worker",
            str(marker),
            str(STOP_AT),
            *worker_options,
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        in_flight = int(wait_for(marker, first))
        # The worker is inside the routing transaction of text STOP_AT: what came before is committed.
        assert Report.objects.count() == STOP_AT - 1
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=WAIT_SECONDS)
        first.stdout.close()

    # What the crash left: the report and reply it was writing are gone with its transaction, the
    # message is NEW again, and its task is RUNNING for a worker that no longer exists.
    assert Report.objects.count() == OutboundMessage.objects.count() == STOP_AT - 1
    assert InboundMessage.objects.get(pk=in_flight).state == InboundMessage.State.NEW
    running = DBTaskResult.objects.get(status="RUNNING")
    assert running.args_kwargs["args"] == [in_flight]

    out = StringIO()
    call_command(
        "messaging_requeue", "--running-minutes", "0", "--minutes", "0", stdout=out, stderr=StringIO()
    )
    assert "Tasks: 1 lost claim(s) back in the queue, 0 given up" in out.getvalue()
    # The message's task is back in the queue, so it is not enqueued a second time.
    assert "Inbound: 0 unrouted message(s) enqueued again, 0 failed" in out.getvalue()

    second = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "db_worker", "--batch", *worker_options],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert second.returncode == 0, second.stdout + second.stderr

    messages = InboundMessage.objects.all()
    assert messages.count() == TEXTS
    assert set(messages.values_list("state", flat=True)) == {InboundMessage.State.ROUTED}
    reports = Report.objects.all()
    assert reports.count() == TEXTS
    assert len(set(reports.values_list("inbound_id", flat=True))) == TEXTS
    replies = OutboundMessage.objects.all()
    assert replies.count() == TEXTS
    assert len(set(replies.values_list("in_reply_to_id", flat=True))) == TEXTS
    assert {reply.body for reply in replies} == {
        f"Thank you. Your report number is {report.pk}." for report in reports
    }
    # One routing task per text (and one per reply, which SMSSync's phone collects instead), all done.
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.filter(task_path=route.module_path).count() == TEXTS
    assert len(DBTaskResult.objects.get(pk=running.pk).worker_ids) == 2

    # And the phone collects each reply once.
    handed_out = []
    while batch := client.get(url, {"task": "send", "secret": SECRET}).json()["payload"].get("messages"):
        handed_out += [message["uuid"] for message in batch]
    assert len(handed_out) == len(set(handed_out)) == TEXTS
