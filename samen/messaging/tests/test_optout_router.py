"""The router answers the opt-out and opt-in words itself, before any feature, for every medium."""

import pytest
from django.test import TestCase

from samen.messaging import optout, router
from samen.messaging.inbox import receive
from samen.messaging.models import InboundMessage, OptOut, OutboundMessage

pytestmark = pytest.mark.django_db


def arrive(gateway, external_id, *, sender, body, subject=""):
    """Receive and route, whether routing runs at once or in a task after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        message, _ = receive(gateway, external_id, sender=sender, body=body, subject=subject, raw=body)
    message.refresh_from_db()
    return message


@pytest.fixture
def joins():
    """A feature's keyword, to show the opt-out words come first and other words still reach it."""
    seen = []
    router.register_keyword("ENROL", lambda message, rest: seen.append(message.body))
    yield seen
    router.unregister_keyword("ENROL")


def test_an_e_mail_saying_unsubscribe_opts_the_address_out_and_is_answered_by_mail(mailoutbox):
    message = arrive(
        "inbound_email",
        "<1@mail.example>",
        sender="Amina <Amina@Example.org>",
        body="Unsubscribe",
        subject="Alerts",
    )

    assert OptOut.objects.get(medium="email").address == "amina@example.org"
    assert message.state == InboundMessage.State.ANSWERED
    [answer] = mailoutbox
    assert answer.to == ["Amina <Amina@Example.org>"]
    assert answer.subject == "Re: Alerts"


def test_a_list_unsubscribe_mail_carries_the_word_in_its_subject_only(mailoutbox):
    arrive("inbound_email", "<2@mail.example>", sender="amina@example.org", body="", subject="unsubscribe")
    assert optout.is_opted_out("amina@example.org", "email")
    assert len(mailoutbox) == 1


def test_opt_out_words_come_before_every_feature_and_other_words_still_reach_features(joins):
    optout.opt_out("+254700000001", medium="sms")

    stop = arrive("smssync", "1", sender="+254700000009", body="STOP")
    join = arrive("smssync", "2", sender="+254700000001", body="ENROL water-point-4")

    assert stop.route == "opt-out:STOP"
    # An opted-out person can still write in; Samen just sends them nothing.
    assert (join.route, joins) == ("keyword:ENROL", ["ENROL water-point-4"])


def test_yes_does_not_opt_back_in():
    # Twilio treats YES as opt-in; Samen features ask yes/no questions, so YES must not undo STOP.
    optout.opt_out("+254700000001", medium="sms")
    arrive("smssync", "1", sender="+254700000001", body="YES")
    assert optout.is_opted_out("+254700000001", "sms")


def test_start_from_someone_who_never_stopped_changes_nothing_but_is_answered():
    message = arrive("smssync", "1", sender="+254700000001", body="START")
    assert not OptOut.objects.exists()
    assert message.route == "opt-in:START"
    assert OutboundMessage.objects.get(in_reply_to=message).state == OutboundMessage.State.QUEUED


def test_a_second_stop_replaces_an_answer_still_waiting_for_the_phone():
    first = arrive("smssync", "1", sender="+254700000001", body="STOP")
    second = arrive("smssync", "2", sender="+254700000001", body="STOP")

    states = {m.in_reply_to_id: m.state for m in OutboundMessage.objects.all()}
    assert states == {first.pk: OutboundMessage.State.SUPPRESSED, second.pk: OutboundMessage.State.QUEUED}


def test_routing_a_stop_again_answers_once():
    message = arrive("smssync", "1", sender="+254700000001", body="STOP")
    router.route(message)
    assert OutboundMessage.objects.filter(in_reply_to=message).count() == 1
    assert OptOut.objects.count() == 1
