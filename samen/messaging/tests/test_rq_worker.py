"""Delivery through the scale-out backend: django-tasks-rq on the real Redis at REDIS_URL."""

import os

import pytest
from django.contrib import admin
from django.core import mail
from django.core.management import call_command

from samen.messaging.models import OutboundMessage
from samen.messaging.outbox import send_email


def redis_url() -> str:
    # A Redis database per xdist worker, so parallel test processes never take each other's jobs.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1").removeprefix("gw")
    return f"redis://127.0.0.1:6379/{10 + int(worker)}"


@pytest.fixture
def rq_tasks(settings):
    import django_rq
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not answering at {url}; the rq backend cannot be tested")
    settings.RQ_QUEUES = {"default": {"URL": url}}
    registered = set(admin.site._registry)
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    django_rq.get_queue("default").empty()
    yield "default"
    django_rq.get_queue("default").empty()
    # django_rq puts its dashboard in the admin when its admin module is first imported; left there after
    # the app is uninstalled again, it would break every admin page that later tests in this process open.
    for model in set(admin.site._registry) - registered:
        admin.site.unregister(model)


@pytest.mark.django_db(transaction=True)
def test_an_rq_worker_delivers_a_queued_email(rq_tasks):
    import django_rq

    message = send_email("mia@example.org", "Welcome", "Hello Mia", key="welcome:rq")
    assert mail.outbox == []
    assert django_rq.get_queue(rq_tasks).count == 1

    # SimpleWorker runs the job in this process (no fork), so the test database and mail outbox are shared.
    call_command(
        "rqworker",
        rq_tasks,
        "--burst",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.SimpleWorker",
    )

    message.refresh_from_db()
    assert message.state == OutboundMessage.State.SENT
    assert [m.subject for m in mail.outbox] == ["Welcome"]
