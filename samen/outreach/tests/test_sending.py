"""Sending a variant to followers by e-mail and SMS: own links per person, opt-outs and STOP win."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from samen.initiatives.models import Follow
from samen.messaging import optout
from samen.messaging.models import Channel, OutboundMessage
from samen.outreach.models import Sending, TrackedLink
from samen.outreach.tasks import send_to_followers

from .conftest import BROWSER_UA

pytestmark = pytest.mark.django_db

SECRET = "smssync-secret"


@pytest.fixture
def phone():
    return Channel.objects.create(kind="smssync", name="Kibera phone", secret=SECRET)


@pytest.fixture
def inbound_phone():
    """The phone STOPs arrive on; the texts go out through `phone`, which has not polled yet."""
    return Channel.objects.create(kind="smssync", name="Intake phone", secret=SECRET)


@pytest.fixture
def followers(initiative, member, outsider):
    outsider.phone = "+31687654321"
    outsider.contact_by_sms = True
    outsider.save()
    Follow.objects.create(initiative=initiative, member=outsider)
    return [member, outsider]


def test_a_variant_goes_by_e_mail_with_a_link_per_follower_and_not_to_who_opted_out(
    client_as, owner, initiative, message, followers, django_capture_on_commit_callbacks
):
    member, outsider = followers
    optout.opt_out(outsider.email, medium="email", via="test")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(owner).post(
            f"/outreach/{initiative.slug}/m/{message.pk}/send/", {"variant": "B", "medium": "email"}
        )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[member.email]]
    link = TrackedLink.objects.get(recipient=member.email)
    assert link.channel == "email" and link.variant.label == "B" and link.recipient_member == member
    assert f"/l/{link.code}" in mail.outbox[0].body
    held = OutboundMessage.objects.get(to=outsider.email)
    assert held.state == OutboundMessage.State.SUPPRESSED
    assert Sending.objects.get().queued == 2


def test_sending_twice_sends_once(owner, message, followers, django_capture_on_commit_callbacks):
    from samen.outreach.actions import send_variant

    variant = message.variants.get(label="A")
    with django_capture_on_commit_callbacks(execute=True):
        first = send_variant(variant, medium="email", by=owner)
        send_variant(variant, medium="email", by=owner)
    send_to_followers.call(first.pk)

    assert len(mail.outbox) == 2  # two followers, once each


def _text_in(phone, body, message_id, sender, capture):
    from samen.messaging.tests.payloads import form

    fields = {**form("smssync_incoming.form"), "message": body, "message_id": message_id, "from": sender}
    with capture(execute=True):
        response = Client().post(reverse("gateways:smssync", args=[phone.pk]), data=fields)
    assert response.status_code == 200


def test_a_variant_goes_by_sms_and_stop_is_honoured_at_once(
    client_as, owner, initiative, message, followers, phone, inbound_phone, django_capture_on_commit_callbacks
):
    member, outsider = followers
    # Mia replies STOP to an earlier text: she gets nothing from now on.
    _text_in(inbound_phone, "STOP", "m-1", member.phone, django_capture_on_commit_callbacks)

    # The phone has not polled yet: what is queued for it waits (delivery is not run here).
    with django_capture_on_commit_callbacks(execute=False):
        client_as(owner).post(
            f"/outreach/{initiative.slug}/m/{message.pk}/send/",
            {"variant": "B", "medium": "sms", "gateway": phone.pk},
        )
        send_to_followers.call(Sending.objects.get().pk)

    to_outsider = OutboundMessage.objects.get(to=outsider.phone)
    assert to_outsider.state == OutboundMessage.State.QUEUED
    assert to_outsider.body.startswith("One tap, 300 families. http://")
    code = to_outsider.body.rsplit("/l/", 1)[1]
    assert TrackedLink.objects.get(code=code).recipient == outsider.phone
    to_member = OutboundMessage.objects.exclude(idempotency_key__startswith="messaging.").get(to=member.phone)
    assert to_member.state == OutboundMessage.State.SUPPRESSED

    # Otto texts STOP before his phone picked the message up: it is held back at once.
    _text_in(inbound_phone, "stop", "m-2", outsider.phone, django_capture_on_commit_callbacks)
    to_outsider.refresh_from_db()
    assert to_outsider.state == OutboundMessage.State.SUPPRESSED

    # A click on the SMS link traces back to the contact.
    Client(HTTP_USER_AGENT=BROWSER_UA).get(f"/l/{code}")
    assert TrackedLink.objects.get(code=code).touches.get().member == outsider


def test_sms_needs_a_gateway(client_as, owner, initiative, message, followers):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/m/{message.pk}/send/", {"variant": "A", "medium": "sms"}, follow=True
    )
    assert "Choose the SMS gateway to send through." in response.content.decode()
    assert not Sending.objects.exists()
