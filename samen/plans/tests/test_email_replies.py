"""A reply to a plan notification e-mail lands as a reaction, through messaging's Mailgun inbound webhook.

The posts have the shape of samen/messaging/tests/payloads/mailgun_inbound.multipart (Mailgun's
parsed inbound format: body-plain, stripped-text, message-headers, and the timestamp/token/signature
that anymail verifies with the channel's signing key).
"""

import hashlib
import hmac
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import mailgun_resigned
from samen.plans import actions
from samen.plans.mail import find_reply_target, reply_token, strip_quoted
from samen.plans.models import Reaction

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-plans-mailgun-signing"
BOUNDARY = "----MailgunFormBoundary7f3a9c1e5b"


@pytest.fixture
def channel():
    return Channel.objects.create(
        kind="inbound_email", name="Mailgun", secret=SIGNING_KEY, config={"from_email": "plans@samen.example"}
    )


def mailgun_body(*, sender, name, subject, body_plain, stripped_text, message_id, timestamp="1718187302"):
    token = hashlib.sha256(message_id.encode()).hexdigest()[:50]
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    headers = [
        ["Return-Path", f"<{sender}>"],
        ["Delivered-To", "plans@samen.example"],
        ["Mime-Version", "1.0"],
        ["Date", "Wed, 12 Jun 2024 13:14:55 +0300"],
        ["Message-Id", f"<{message_id}>"],
        ["Subject", subject],
        ["From", f"{name} <{sender}>"],
        ["To", "Samen <plans@samen.example>"],
        ["Content-Type", 'text/plain; charset="UTF-8"'],
        ["X-Mailgun-Sflag", "No"],
        ["X-Mailgun-Sscore", "0.0"],
    ]
    fields = [
        ("recipient", "plans@samen.example"),
        ("sender", sender),
        ("subject", subject),
        ("from", f"{name} <{sender}>"),
        ("X-Mailgun-Sflag", "No"),
        ("X-Mailgun-Sscore", "0.0"),
        ("Message-Id", f"<{message_id}>"),
        ("Date", "Wed, 12 Jun 2024 13:14:55 +0300"),
        ("To", "Samen <plans@samen.example>"),
        ("body-plain", body_plain),
        ("stripped-text", stripped_text),
        ("stripped-signature", ""),
        ("attachment-count", "0"),
        ("message-headers", json.dumps(headers)),
        ("content-id-map", "{}"),
        ("timestamp", timestamp),
        ("token", token),
        ("signature", signature),
    ]
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def post(channel, payload: bytes):
    return Client().post(
        reverse("gateways:inbound_email", args=[channel.pk]),
        data=mailgun_resigned(payload, SIGNING_KEY),  # each delivery attempt is signed afresh
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def test_a_reply_to_the_answer_email_lands_in_the_thread(
    channel, owner, member, budget, mailoutbox, django_capture_on_commit_callbacks
):
    reaction = actions.add_reaction(budget, member, "Ask the county.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.answer_reaction(reaction, owner, state="answered", answer="We did. Any contact there?")
    answer_mail = next(m for m in mailoutbox if m.to == [member.email])
    quoted = "\n".join(f"> {line}" for line in answer_mail.body.splitlines())
    body_plain = (
        f"Yes: Mr Otieno at the water office.\n\nOn Wed, 12 Jun 2024 at 10:00, Samen wrote:\n{quoted}\n"
    )
    payload = mailgun_body(
        sender=member.email,
        name="Mia Member",
        subject=f"Re: {answer_mail.subject}",
        body_plain=body_plain,
        stripped_text="Yes: Mr Otieno at the water office.",
        message_id="reply-1@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(channel, payload).status_code == 200
    reply = Reaction.objects.get(parent=reaction)
    assert reply.author == member and reply.via == "email" and reply.depth == 2
    assert reply.body == "Yes: Mr Otieno at the water office."
    inbound = InboundMessage.objects.get()
    assert inbound.route == "plans.reply" and reply.inbound == inbound

    # Mailgun redelivers: still one reaction.
    with django_capture_on_commit_callbacks(execute=True):
        assert post(channel, payload).status_code == 200
    assert Reaction.objects.filter(parent=reaction).count() == 1


def test_a_reply_to_an_invitation_is_a_new_reaction_and_quoted_text_is_stripped(
    channel, outsider, budget, django_capture_on_commit_callbacks
):
    token = reply_token(budget.pk, None, outsider.pk)
    # Without Mailgun's stripped text (IMAP-style), the quote is cut off here.
    body_plain = (
        "I am an accountant and can check the budget.\nCall me on +254 712 345 678.\n\n"
        "Op wo 12 jun 2024 om 10:00 schreef Samen <plans@samen.example>:\n"
        f"> Your expertise is wanted {token}\n"
    )
    payload = mailgun_body(
        sender=outsider.email.upper(),
        name="Otto",
        subject=f"Re: Your expertise is wanted: “Budget” {token}",
        body_plain=body_plain,
        stripped_text="",
        message_id="reply-2@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(channel, payload).status_code == 200
    reaction = Reaction.objects.get()
    assert reaction.section == budget and reaction.parent is None and reaction.author == outsider
    assert reaction.body == "I am an accountant and can check the budget.\nCall me on [removed]."
    assert reaction.owner is not None and reaction.due_at is not None


def test_a_reply_from_another_address_is_left_for_a_person(
    channel, member, outsider, budget, django_capture_on_commit_callbacks
):
    token = reply_token(budget.pk, None, member.pk)
    payload = mailgun_body(
        sender=outsider.email,
        name="Otto",
        subject=f"Re: something {token}",
        body_plain="Forwarded and answered by someone else",
        stripped_text="Forwarded and answered by someone else",
        message_id="reply-3@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(channel, payload)
    assert not Reaction.objects.exists()
    assert InboundMessage.objects.get().state == "new"


def test_a_forged_token_is_ignored(channel, member, budget, django_capture_on_commit_callbacks):
    token = re.sub(r"-[0-9a-f]{16}\]", "-0123456789abcdef]", reply_token(budget.pk, None, member.pk))
    payload = mailgun_body(
        sender=member.email,
        name="Mia",
        subject=f"Re: {token}",
        body_plain="x",
        stripped_text="x",
        message_id="reply-4@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(channel, payload)
    assert not Reaction.objects.exists()


def test_a_reply_with_only_quoted_text_is_kept_as_failed(
    channel, member, budget, django_capture_on_commit_callbacks
):
    token = reply_token(budget.pk, None, member.pk)
    payload = mailgun_body(
        sender=member.email,
        name="Mia",
        subject=f"Re: x {token}",
        body_plain="> only the quote\n",
        stripped_text="",
        message_id="reply-5@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(channel, payload)
    assert not Reaction.objects.exists()
    assert InboundMessage.objects.get().state == "failed"


def test_a_reply_to_the_deepest_reaction_joins_the_thread_one_level_up(
    channel, member, outsider, budget, django_capture_on_commit_callbacks
):
    one = actions.add_reaction(budget, member, "1")
    two = actions.add_reaction(budget, outsider, "2", parent=one)
    three = actions.add_reaction(budget, member, "3", parent=two)
    token = reply_token(budget.pk, three.pk, outsider.pk)
    payload = mailgun_body(
        sender=outsider.email,
        name="Otto",
        subject=f"Re: {token}",
        body_plain="4",
        stripped_text="4",
        message_id="reply-6@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(channel, payload)
    reply = Reaction.objects.get(body="4")
    assert reply.parent == two and reply.depth == 3


def test_tokens_round_trip_and_resist_tampering():
    token = reply_token(12, 340, 7)
    assert find_reply_target(f"Re: Hello {token}").section_id == 12
    target = find_reply_target("nothing", f"body {token}")
    assert (target.section_id, target.parent_id, target.member_id) == (12, 340, 7)
    assert find_reply_target(token.replace("p12-", "p13-")) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("New text\n\nOn Mon, 1 Jan 2024, Samen <x@y> wrote:\n> old", "New text"),
        ("New text\n\nOn Mon, 1 Jan 2024, Samen\n<x@y> wrote:\n> old", "New text"),
        ("Nieuw\nOp ma 1 jan. 2024 om 10:00 schreef Samen <x@y>:\n> oud", "Nieuw"),
        ("Neu\n-----Original Message-----\nFrom: x", "Neu"),
        ("Top\n> quoted\nBottom\n-- \nMia\n+254 700", "Top\nBottom"),
    ],
)
def test_quoted_text_and_signatures_are_stripped(text, expected):
    assert strip_quoted(text) == expected


def test_a_reply_about_a_plan_gone_back_to_draft_is_kept_for_a_person(
    channel, member, budget, django_capture_on_commit_callbacks
):
    budget.plan.initiative.set_status("draft")
    token = reply_token(budget.pk, None, member.pk)
    payload = mailgun_body(
        sender=member.email,
        name="Mia",
        subject=f"Re: {token}",
        body_plain="Hi",
        stripped_text="Hi",
        message_id="reply-7@mail.example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(channel, payload)
    assert not Reaction.objects.exists()
    assert InboundMessage.objects.get().state == "failed"
