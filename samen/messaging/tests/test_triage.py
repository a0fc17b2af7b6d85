"""A person takes or sets aside a message nothing wanted: once, logged, and nothing is lost."""

import pytest
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from samen.messaging import access, triage
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, InboundMessageChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(db):
    message = receive("smssync", "t-1", sender="+254700000009", body="hello?", raw="{}")[0]
    InboundMessage.objects.filter(pk=message.pk).update(unmatched_at=timezone.now())
    message.refresh_from_db()
    return message


def test_a_message_is_taken_once(waiting, owner):
    made = []
    assert triage.take(waiting, owner, route="x.inbox", make=lambda: made.append(1) or {"thing": [None, 1]})
    assert not triage.take(waiting, owner, route="x.inbox", make=lambda: made.append(2) or {})
    assert made == [1]
    waiting.refresh_from_db()
    assert (waiting.state, waiting.route, waiting.owner) == (InboundMessage.State.ROUTED, "x.inbox", owner)
    change = InboundMessageChange.objects.get()
    assert (change.actor, change.action, change.changes["thing"]) == (owner, "assigned", [None, 1])


def test_a_failed_take_leaves_the_message_waiting(waiting, owner):
    def broken():
        raise LookupError("no such map")

    with pytest.raises(LookupError):
        triage.take(waiting, owner, route="x.inbox", make=broken)
    waiting.refresh_from_db()
    assert waiting.is_unmatched
    assert not InboundMessageChange.objects.exists()


def test_a_message_not_yet_routed_cannot_be_taken(owner):
    fresh = receive("smssync", "t-2", sender="+254700000009", body="hello?", raw="{}")[0]
    InboundMessage.objects.filter(pk=fresh.pk).update(state=InboundMessage.State.NEW, unmatched_at=None)
    assert not triage.take(fresh, owner, route="x.inbox", make=dict)
    assert not triage.discard(fresh, owner)


def test_discard_and_put_back_are_logged_and_keep_the_message(waiting, owner):
    assert triage.discard(waiting, owner)
    assert not triage.discard(waiting, owner)
    assert InboundMessage.objects.get(pk=waiting.pk).state == InboundMessage.State.DISCARDED
    assert triage.put_back(waiting, owner)
    assert not triage.put_back(waiting, owner)
    assert InboundMessage.objects.get(pk=waiting.pk).is_unmatched
    assert list(InboundMessageChange.objects.order_by("pk").values_list("action", flat=True)) == [
        "discarded",
        "put_back",
    ]


def test_a_registered_rule_lets_a_viewer_see_what_it_names(waiting, owner, outsider):
    def rule(viewer):
        return Q(sender="+254700000009") if viewer == owner else None

    access.register_viewer_rule(rule)
    try:
        assert access.get_inbound_for_viewer(owner, waiting.pk) == waiting
        assert access.sender_contact_for_viewer(owner, waiting) == "+254700000009"
        with pytest.raises(Http404):
            access.get_inbound_for_viewer(outsider, waiting.pk)
        with pytest.raises(Http404):
            access.get_inbound_for_viewer(None, waiting.pk)
    finally:
        access._rules.remove(rule)
