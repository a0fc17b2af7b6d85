import json
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from samen.messaging import router
from samen.messaging.inbox import idempotency_key, receive, safe_text
from samen.messaging.models import Channel, InboundMessage

pytestmark = pytest.mark.django_db

SMSSYNC_RAW = {
    "from": "+254700000001",
    "message": "Water point 4 is broken",
    "message_id": "abc-123",
    "secret": "s3cret",
    "sent_timestamp": "1718000000000",
    "sent_to": "+254711000000",
    "device_id": "1",
}


def test_it_stores_the_raw_payload_and_the_parsed_fields():
    channel = Channel.objects.create(kind="smssync", name="Kibera phone")
    message, created = receive(
        "smssync",
        "abc-123",
        sender="+254700000001",
        recipient="+254711000000",
        body="Water point 4 is broken",
        raw=SMSSYNC_RAW,
        channel=channel,
    )
    assert created is True
    message.refresh_from_db()
    assert message.idempotency_key == "smssync:abc-123"
    assert message.gateway == "smssync"
    assert message.channel == channel
    assert json.loads(message.raw) == SMSSYNC_RAW
    assert message.state == InboundMessage.State.NEW  # nothing wanted it: a person must look


def test_a_repeated_delivery_returns_the_stored_message_and_routes_once(django_capture_on_commit_callbacks):
    calls = []
    router.register_route("all", lambda m: True, calls.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first, created_first = receive("smssync", "abc-123", sender="+1", body="hi", raw="a")
            second, created_second = receive("smssync", "abc-123", sender="+1", body="hi again", raw="b")
    finally:
        router.unregister_route("all")
    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert second.raw == "a"
    assert [message.pk for message in calls] == [first.pk]
    assert InboundMessage.objects.count() == 1


def test_routing_waits_for_the_callers_commit(django_capture_on_commit_callbacks):
    calls = []
    router.register_route("all", lambda m: True, calls.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = receive("smssync", "abc-123", sender="+1", body="hi", raw="a")
            assert calls == []  # stored, not routed: the provider is not kept waiting
    finally:
        router.unregister_route("all")
    assert [m.pk for m in calls] == [message.pk]


def test_a_rolled_back_caller_routes_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        receive("smssync", "abc-123", sender="+1", body="hi", raw="a")
        transaction.set_rollback(True)
    assert callbacks == []
    assert InboundMessage.objects.count() == 0


def test_storing_a_new_message_is_one_insert():
    with CaptureQueriesContext(connection) as queries:
        receive("smssync", "abc-123", sender="+254700000001", body="hi", raw=SMSSYNC_RAW)
    kinds = [query["sql"].split(None, 1)[0].upper() for query in queries.captured_queries]
    assert [kind for kind in kinds if kind in {"SELECT", "INSERT", "UPDATE", "DELETE"}] == ["INSERT"]


def test_the_same_id_from_another_gateway_is_another_message():
    a, _ = receive("twilio", "1", sender="+1", body="x", raw="")
    b, _ = receive("smssync", "1", sender="+1", body="x", raw="")
    assert a.pk != b.pk


def test_raw_bytes_that_are_not_utf8_are_kept_exactly():
    message, _ = receive("email", "m1", sender="a@example.org", body="", raw=b"Subject: caf\xe9")
    message.refresh_from_db()
    assert message.raw_encoding == "base64"
    assert message.payload() == b"Subject: caf\xe9"


def test_raw_bytes_that_are_utf8_stay_readable():
    message, _ = receive("email", "m1", sender="a@example.org", body="", raw="Subject: café".encode())
    message.refresh_from_db()
    assert (message.raw, message.raw_encoding) == ("Subject: café", "")


def test_nul_and_lone_surrogates_are_made_safe_and_the_raw_fields_keep_them():
    fields = {"from": "+1\x00", "message": "a\x00b\ud800c", "message_id": "x"}
    message, _ = receive(
        "smssync", "x", sender=fields["from"], body=fields["message"], subject="s\udfff", raw=fields
    )
    message.refresh_from_db()
    assert message.body == "a\ufffdb\ufffdc"
    assert message.sender == "+1\ufffd"
    assert message.subject == "s\ufffd"
    assert json.loads(message.raw) == fields


def test_gsm_at_sign_sent_as_nul_can_be_kept_as_at():
    assert safe_text("meet @ 5 or \x00 6", nul="@") == "meet @ 5 or @ 6"


def test_a_raw_text_with_nul_is_kept_as_its_bytes():
    message, _ = receive("email", "m1", sender="a@example.org", body="", raw="a\x00b")
    message.refresh_from_db()
    assert message.payload() == b"a\x00b"


def test_short_ids_stay_readable_and_long_or_unsafe_ones_are_hashed_without_collisions():
    assert idempotency_key("twilio", "SM123") == "twilio:SM123"
    long_id = "S" * 300
    keys = {
        idempotency_key("twilio", long_id),
        idempotency_key("twilio", long_id + "x"),
        idempotency_key("twilio", "a\x00"),
        idempotency_key("twilio", "a\ud800"),
    }
    assert len(keys) == 4
    assert all(len(key) <= 255 and key.startswith("twilio:#") for key in keys)
    # A clean id that looks like a hashed key is hashed too, so it cannot take another's place.
    hashed = idempotency_key("twilio", long_id)
    assert idempotency_key("twilio", hashed.split(":", 1)[1]) != hashed


def test_a_long_id_is_stored_once_under_its_hash():
    first, created = receive("twilio", "S" * 300, sender="+1", body="x", raw={})
    again, created_again = receive("twilio", "S" * 300, sender="+1", body="x", raw={})
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1


def test_overlong_headers_are_cut_to_fit_while_raw_keeps_everything():
    subject = "S" * 400
    message, _ = receive(
        "email", "m2", sender="a@example.org", subject=subject, body="", raw=f"Subject: {subject}"
    )
    message.refresh_from_db()
    assert len(message.subject) == 255
    assert subject in message.raw


def test_routing_links_the_sender_to_the_member_with_that_address_or_number(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        by_mail, _ = receive("email", "m3", sender="Mia <MIA@example.org>", body="", raw="")
        by_phone, _ = receive("smssync", "s1", sender=member.phone, body="", raw="")
        stranger, _ = receive("smssync", "s2", sender="+254799999999", body="", raw="")
    for message in (by_mail, by_phone, stranger):
        message.refresh_from_db()
    assert by_mail.member == member
    assert by_phone.member == member
    assert stranger.member is None


def test_a_message_id_is_required():
    with pytest.raises(ValueError, match="message id"):
        receive("smssync", "", sender="+1", body="x", raw="")


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_racing_store_one_message():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers, so there is no race to lose")
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        try:
            barrier.wait()
            results.append(receive("smssync", "race-1", sender="+1", body="x", raw="")[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert InboundMessage.objects.filter(idempotency_key="smssync:race-1").count() == 1
