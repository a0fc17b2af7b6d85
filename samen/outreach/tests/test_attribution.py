"""One attribution chain: touch → sign-up → conversions weeks later, as first and last touch."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from samen.outreach import attribution, tracking
from samen.outreach.models import Conversion, MemberTouches, Touch
from samen.people.models import Member

from .conftest import BROWSER_UA

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"


def _short(initiative, variant, channel):
    url = attribution.tracked_url(
        RequestFactory().get("/"), target=initiative.get_absolute_url(), channel=channel, variant=variant
    )
    return "/l/" + url.rsplit("/", 1)[1]


def _sign_up(client, email="nadia@example.org"):
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return Member.objects.get(email=email)


def test_a_sign_up_after_clicks_counts_for_the_first_and_last_touch(initiative, variants, visitor):
    visitor.get(_short(initiative, variants["A"], "x"))
    visitor.get(_short(initiative, variants["B"], "whatsapp"))
    first, last = Touch.objects.order_by("pk")

    member = _sign_up(visitor)

    signup = Conversion.objects.get(kind=attribution.SIGNUP)
    assert signup.member == member
    assert (signup.first_touch, signup.last_touch) == (first, last)
    assert signup.message == variants["B"].message
    stored = MemberTouches.objects.get(member=member)
    assert (stored.first_touch, stored.last_touch) == (first, last)


def test_a_conversion_three_weeks_later_still_counts(initiative, variants, visitor):
    visitor.get(_short(initiative, variants["B"], "sms"))
    member = _sign_up(visitor)
    touch = Touch.objects.get()

    with time_machine.travel(timezone.now() + timedelta(weeks=3)):
        # A new device, a new session: nothing in the request; the member carries the touch.
        conversion = attribution.record_conversion(
            kind=attribution.DONATION,
            source="giving.donation",
            source_ref="17",
            member=member,
            amount_minor=2500,
            currency="eur",
            initiative=initiative,
        )

    assert conversion.last_touch == touch
    assert conversion.first_touch == touch
    assert conversion.currency == "EUR"
    assert conversion.occurred_at - touch.at >= timedelta(weeks=3)


def test_a_conversion_in_the_same_browser_uses_its_cookie(initiative, variants, visitor, outsider):
    visitor.get(_short(initiative, variants["A"], "facebook"))
    request = RequestFactory().get("/")
    request.COOKIES = dict((key, morsel.value) for key, morsel in visitor.cookies.items())
    request.user = outsider

    ids = attribution.touch_ids(request)
    conversion = attribution.record_conversion(
        kind=attribution.VOLUNTEER_JOIN, source="volunteering.participation", source_ref="3", request=request
    )

    assert ids == [Touch.objects.get().pk]
    assert conversion.last_touch_id == ids[0]
    assert conversion.member == outsider


def test_stored_touch_ids_from_a_pending_row_are_used_later(initiative, variants, visitor):
    visitor.get(_short(initiative, variants["A"], "x"))
    visitor.get(_short(initiative, variants["B"], "x"))
    ids = [touch.pk for touch in Touch.objects.order_by("pk")]

    conversion = attribution.record_conversion(
        kind=attribution.DONATION,
        source="giving.donation",
        source_ref="webhook-9",
        touch_ids=ids,
        amount_minor=500,
        currency="EUR",
    )

    assert (conversion.first_touch_id, conversion.last_touch_id) == (ids[0], ids[1])


def test_recording_twice_records_once(initiative):
    one = attribution.record_conversion(
        kind=attribution.HOURS, source="volunteering.time", source_ref="5", minutes=90
    )
    two = attribution.record_conversion(
        kind=attribution.HOURS, source="volunteering.time", source_ref="5", minutes=90
    )

    assert one.pk == two.pk
    assert Conversion.objects.count() == 1


def test_an_unattributed_conversion_is_kept_and_never_raises(outsider):
    conversion = attribution.record_conversion(
        kind=attribution.REACTION,
        source="plans.reaction",
        source_ref="8",
        member=outsider,
        touch_ids=[999999],
    )
    assert conversion.first_touch is None and conversion.last_touch is None
    # Bad input is logged, never raised into the caller's donation or sign-up.
    assert attribution.record_conversion(kind="nonsense", source="x", source_ref="1") is None
    assert (
        attribution.record_conversion(
            kind=attribution.REPORT,
            source="reports.report",
            source_ref="1",
            request=RequestFactory().get("/"),
        )
        is not None
    )


def test_touches_older_than_the_window_no_longer_earn_conversions(initiative, variants, visitor):
    visitor.get(_short(initiative, variants["A"], "x"))
    member = _sign_up(visitor)
    with time_machine.travel(timezone.now() + attribution.ATTRIBUTION_WINDOW + timedelta(days=1)):
        conversion = attribution.record_conversion(
            kind=attribution.REACTION, source="plans.reaction", source_ref="1", member=member
        )
    assert conversion.last_touch is None


def test_a_link_sent_to_one_recipient_traces_the_click_back_to_them(initiative, variants, member):
    url = attribution.tracked_url(
        None,
        target=initiative.get_absolute_url(),
        channel="sms",
        variant=variants["B"],
        recipient=member.phone,
        recipient_member=member,
    )
    Client(HTTP_USER_AGENT=BROWSER_UA).get("/l/" + url.rsplit("/", 1)[1])

    touch = Touch.objects.get()
    assert touch.member == member
    assert touch.link.recipient == member.phone
    assert MemberTouches.objects.get(member=member).last_touch == touch


def test_logging_in_after_a_click_moves_the_members_last_touch(initiative, variants, outsider):
    from conftest import PASSWORD as MEMBER_PASSWORD

    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    client.get(_short(initiative, variants["A"], "linkedin"))
    client.post("/accounts/login/", {"login": outsider.email, "password": MEMBER_PASSWORD})

    assert MemberTouches.objects.get(member=outsider).last_touch == Touch.objects.get()
    assert tracking.COOKIE in client.cookies


def test_a_database_error_while_carrying_touches_does_not_break_the_log_in(member, rf, monkeypatch):
    from django.db import connection, transaction

    from samen.outreach import receivers

    def refused_statement(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM outreach_membertouches")

    monkeypatch.setattr(receivers.tracking, "remember_for_member", refused_statement)
    request = rf.get("/")

    with transaction.atomic():  # the log-in's (or sign-up's) transaction, as the caller has it
        receivers.on_logged_in(None, request=request, user=member)
        receivers.on_signed_up(None, request=request, user=member)
        # Still usable: on PostgreSQL the failed statement would have aborted it without a savepoint.
        assert Member.objects.filter(pk=member.pk).exists()
