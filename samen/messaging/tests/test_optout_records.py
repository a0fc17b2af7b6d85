"""The opt-out list itself: one row per person whatever the format, history kept, ended only on request."""

import pytest
from django.db import connection
from django.urls import reverse

from samen.messaging import optout, signals
from samen.messaging.models import OptOut, OutboundMessage
from samen.messaging.outbox import send_email

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "written",
    [
        "+254712345678",
        "254712345678",
        "00254712345678",
        "+254 712 345 678",
        "+254-712-345678",
        "+2540712345678",
    ],
)
def test_a_number_in_any_format_gateways_send_is_one_person(written):
    optout.opt_out(written, medium="sms")

    assert OptOut.objects.get().address == "+254712345678"
    assert optout.is_opted_out("+254712345678", "sms")
    assert optout.is_opted_out(written, "sms")


def test_an_e_mail_address_is_kept_in_lower_case_without_its_display_name():
    optout.opt_out("Amina Said <Amina.Said@Example.org>", medium="email")

    assert OptOut.objects.get().address == "amina.said@example.org"
    assert optout.is_opted_out("AMINA.SAID@example.org", "email")
    assert not optout.is_opted_out("amina.said@example.org", "sms")


def test_an_e_mail_unsubscribe_through_opt_out_stops_later_mail(
    mailoutbox, django_capture_on_commit_callbacks
):
    optout.opt_out("amina@example.org", medium="email", via="reports.unsubscribe-link")

    with django_capture_on_commit_callbacks(execute=True):
        update = send_email("Amina@Example.org", "News from the water point", "It is fixed.", key="update:1")

    assert update.state == OutboundMessage.State.SUPPRESSED
    assert mailoutbox == []


def test_opting_out_twice_keeps_one_row_and_tells_features_each_time():
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs["address"])

    signals.opted_out.connect(listener)
    try:
        first = optout.opt_out("+254712345678", medium="sms", via="keyword:STOP")
        second = optout.opt_out("254712345678", medium="sms", via="keyword:QUIT")
    finally:
        signals.opted_out.disconnect(listener)
    assert second.pk == first.pk
    assert second.via == "keyword:STOP"  # the first request is the one on record
    assert heard == ["+254712345678", "+254712345678"]


def test_opting_in_again_keeps_the_history_and_a_new_stop_starts_a_new_row():
    first = optout.opt_out("+254712345678", medium="sms", via="keyword:STOP")

    assert optout.opt_in("+254712345678", medium="sms", via="keyword:START") is True
    assert not optout.is_opted_out("+254712345678", "sms")
    assert optout.opt_in("+254712345678", medium="sms", via="keyword:START") is False

    second = optout.opt_out("+254712345678", medium="sms", via="keyword:STOP")
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.ended_at is not None
    assert first.ended_via == "keyword:START"
    assert list(OptOut.objects.filter(ended_at__isnull=True)) == [second]


def test_opting_in_on_one_medium_leaves_the_other_alone():
    optout.opt_out("amina@example.org", medium="email")
    optout.opt_in("amina@example.org", medium="sms")
    assert optout.is_opted_out("amina@example.org", "email")


def test_a_failing_feature_cannot_undo_an_opt_out():
    def broken(sender, **kwargs):
        # Database work followed by a crash: on PostgreSQL this would abort the transaction
        # if the receivers did not run in their own savepoint.
        OutboundMessage.objects.create(gateway="email", idempotency_key="half-done", to="x", body="x")
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM a_table_that_does_not_exist")

    signals.opted_out.connect(broken)
    try:
        optout.opt_out("+254712345678", medium="sms")
    finally:
        signals.opted_out.disconnect(broken)
    assert optout.is_opted_out("+254712345678", "sms")
    assert not OutboundMessage.objects.filter(idempotency_key="half-done").exists()


def test_an_unknown_medium_is_a_programming_error():
    with pytest.raises(ValueError, match="medium"):
        optout.opt_out("+254712345678", medium="fax")


def test_an_empty_address_cannot_be_opted_out():
    with pytest.raises(ValueError, match="address"):
        optout.opt_out("  ", medium="sms")


# --- Admin ----------------------------------------------------------------------------------------


def test_staff_can_record_an_opt_out_asked_for_by_phone(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:messaging_optout_add"), {"address": "+254 712 345 678", "medium": "sms"}
    )

    assert response.status_code == 302
    opt_out = OptOut.objects.get()
    assert (opt_out.address, opt_out.via) == ("+254712345678", f"admin:{admin_user.pk}")


def test_staff_cannot_end_or_delete_an_opt_out(admin_client):
    opt_out = optout.opt_out("+254712345678", medium="sms")

    change = admin_client.post(
        reverse("admin:messaging_optout_change", args=[opt_out.pk]), {"address": "+254700000000"}
    )
    delete = admin_client.post(reverse("admin:messaging_optout_delete", args=[opt_out.pk]), {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    opt_out.refresh_from_db()
    assert (opt_out.address, opt_out.ended_at) == ("+254712345678", None)


def test_the_admin_lists_opt_outs_by_address(admin_client):
    optout.opt_out("+254712345678", medium="sms", via="keyword:STOP")
    response = admin_client.get(reverse("admin:messaging_optout_changelist"), {"q": "254712"})
    assert response.status_code == 200
    assert "+254712345678" in response.content.decode()
