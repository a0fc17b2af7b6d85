import pytest

from samen.messaging import router
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, OutboundMessage
from samen.messaging.outbox import queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    """Registers test handlers and removes them afterwards, so tests do not leak into each other."""
    keywords, routes = [], []

    def keyword(word, handler):
        router.register_keyword(word, handler)
        keywords.append(word)

    def route(name, matcher, handler):
        router.register_route(name, matcher, handler)
        routes.append(name)

    yield keyword, route
    for word in keywords:
        router.unregister_keyword(word)
    for name in routes:
        router.unregister_route(name)


@pytest.fixture
def sms(django_capture_on_commit_callbacks):
    """Receive a text as a gateway does, and let its routing task run (it is enqueued on commit)."""

    def receive_sms(external_id, body, sender="+254700000001"):
        with django_capture_on_commit_callbacks(execute=True):
            message = receive("smssync", external_id, sender=sender, body=body, raw={"message": body})[0]
        message.refresh_from_db()
        return message

    return receive_sms


def test_a_keyword_reaches_its_handler_with_the_rest_of_the_text(registry, sms):
    keyword, _ = registry
    seen = []
    keyword("ENROL", lambda message, rest: seen.append((message.pk, rest)))
    message = sms("1", "enrol   water-point-4 ")
    assert seen == [(message.pk, "water-point-4")]
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ROUTED
    assert message.route == "keyword:ENROL"


def test_trailing_punctuation_after_a_keyword_is_ignored(registry, sms):
    keyword, _ = registry
    seen = []
    # Not STOP or QUIT: messaging answers those itself (see test_optout_router.py).
    keyword("pledge", lambda message, rest: seen.append(rest))
    sms("1", "PLEDGE.")
    assert seen == [""]


def test_keywords_come_before_routes_and_routes_go_in_order(registry, sms):
    keyword, route = registry
    seen = []
    keyword("ENROL", lambda message, rest: seen.append("keyword"))
    route("reports.sms", lambda m: m.gateway == "smssync", lambda m: seen.append("reports"))
    route("catch-all", lambda m: True, lambda m: seen.append("catch-all"))
    sms("1", "ENROL")
    second = sms("2", "Water point 4 is broken")
    assert seen == ["keyword", "reports"]
    assert second.route == "reports.sms"


def test_a_message_nothing_wants_stays_new(sms):
    message = sms("1", "hello?")
    assert (message.state, message.route) == (InboundMessage.State.NEW, "")


def test_a_failing_handler_marks_the_message_failed_but_keeps_it(registry, sms):
    _, route = registry

    def handler(message):
        # Work done before the crash is undone with the handler's savepoint.
        queue("email", "team@example.org", "new report", key=f"notify:{message.pk}")
        raise ValueError("no such water point")

    route("reports.sms", lambda m: True, handler)
    message = sms("1", "Water point 99 is broken")
    message.refresh_from_db()
    assert message.state == InboundMessage.State.FAILED
    assert message.error == "ValueError: no such water point"
    assert message.route == "reports.sms"
    assert message.raw == '{"message": "Water point 99 is broken"}'
    assert not OutboundMessage.objects.exists()


def test_a_failing_matcher_is_handled_the_same_way(registry, sms):
    _, route = registry
    route("picky", lambda m: 1 / 0, lambda m: None)
    message = sms("1", "x")
    assert message.state == InboundMessage.State.FAILED
    assert "ZeroDivisionError" in message.error


def test_routing_again_after_a_fix_clears_the_error(registry, sms):
    _, route = registry
    outcomes = [ValueError("down"), None]

    def handler(message):
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    route("flaky", lambda m: True, handler)
    message = sms("1", "x")
    assert message.state == InboundMessage.State.FAILED
    assert router.route(message) == "flaky"
    message.refresh_from_db()
    assert (message.state, message.error) == (InboundMessage.State.ROUTED, "")


def test_a_handler_that_answers_keeps_the_answered_state(registry, sms):
    _, route = registry

    def answer(message):
        InboundMessage.objects.filter(pk=message.pk).update(state=InboundMessage.State.ANSWERED)

    route("auto-reply", lambda m: True, answer)
    message = sms("1", "x")
    message.refresh_from_db()
    assert message.state == InboundMessage.State.ANSWERED
    assert message.route == "auto-reply"


def test_two_apps_cannot_claim_one_keyword(registry):
    keyword, _ = registry

    def handler(message, rest):
        return None

    keyword("PLEDGE", handler)
    router.register_keyword("pledge", handler)  # ready() running twice is fine
    with pytest.raises(ValueError, match="already registered"):
        router.register_keyword("Pledge", lambda message, rest: None)
    assert "PLEDGE" in router.registered_keywords()


@pytest.mark.parametrize("word", ["STOP", "quit", "Unstop", "START"])
def test_no_feature_can_claim_an_opt_out_or_opt_in_word(word):
    with pytest.raises(ValueError, match="messaging answers it"):
        router.register_keyword(word, lambda message, rest: None)
    assert word.upper() not in router.registered_keywords()


def test_a_keyword_is_one_word():
    with pytest.raises(ValueError, match="one word"):
        router.register_keyword("JOIN US", lambda message, rest: None)


def test_a_route_name_is_registered_once(registry):
    _, route = registry
    route("reports.sms", bool, print)
    router.register_route("reports.sms", bool, print)
    with pytest.raises(ValueError, match="already registered"):
        router.register_route("reports.sms", bool, repr)
