"""The routing task: the background half of intake, safe to run twice."""

import pytest

from samen.messaging import router, tasks
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def route():
    """Registers test routes and removes them afterwards."""
    names = []

    def register(name, matcher, handler):
        router.register_route(name, matcher, handler)
        names.append(name)

    yield register
    for name in names:
        router.unregister_route(name)


def test_the_route_task_run_twice_routes_once(route):
    calls = []
    route("all", lambda m: True, calls.append)
    message, _ = receive("smssync", "1", sender="+254700000001", body="x", raw="x")

    assert tasks.route.call(message.pk) == "all"
    assert tasks.route.call(message.pk) == tasks.SKIPPED
    assert len(calls) == 1


def test_a_failed_message_waits_for_a_person_rather_than_a_repeated_task(route):
    route("broken", lambda m: True, lambda m: 1 / 0)
    message, _ = receive("smssync", "1", sender="+254700000001", body="x", raw="x")

    assert tasks.route.call(message.pk) == tasks.FAILED
    assert tasks.route.call(message.pk) == tasks.SKIPPED
    message.refresh_from_db()
    assert message.state == InboundMessage.State.FAILED
    assert "ZeroDivisionError" in message.error


def test_a_message_nothing_wants_stays_new_and_a_later_run_looks_again(route):
    message, _ = receive("smssync", "1", sender="+254700000001", body="x", raw="x")
    assert tasks.route.call(message.pk) == tasks.UNROUTED
    message.refresh_from_db()
    assert (message.state, message.route) == (InboundMessage.State.NEW, "")

    route("all", lambda m: True, lambda m: None)
    assert tasks.route.call(message.pk) == "all"


def test_the_route_task_for_a_deleted_message_does_nothing():
    assert tasks.route.call(123456) == tasks.SKIPPED
