"""Apply, accept or decline, withdraw, invite; hours confirmed into the ledger."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from samen.impact.models import Contribution
from samen.volunteering import actions
from samen.volunteering.models import Participation, TimeEntry

pytestmark = pytest.mark.django_db


def test_joining_twice_is_impossible_in_the_database(opportunity, member):
    Participation.objects.create(opportunity=opportunity, member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(opportunity=opportunity, member=member)


def emails_to():
    from samen.messaging.models import OutboundMessage

    return sorted(OutboundMessage.objects.filter(gateway="email").values_list("to", flat=True))


def test_applying_twice_returns_the_same_row(opportunity, member):
    first, created = actions.apply(opportunity, member, motivation="Ik spreek Frans.")
    again, created_again = actions.apply(opportunity, member, motivation="Again")
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and again.motivation == "Ik spreek Frans."
    assert Participation.objects.count() == 1
    # The owner and the team member hear about the application, once.
    assert emails_to() == ["olga@example.org", "tom@example.org"]


def test_the_owner_accepts_and_the_participant_is_told_by_email_and_sms(opportunity, member, owner):
    from samen.messaging.models import Channel, OutboundMessage

    Channel.objects.create(kind="smssync", name="Phone", secret="s")
    participation, _ = actions.apply(opportunity, member)
    actions.decide(participation, owner, accept=True)
    participation.refresh_from_db()
    assert participation.state == Participation.State.ACCEPTED
    sms = OutboundMessage.objects.get(to=member.phone)
    assert "TRAN1" in sms.body and sms.gateway == "smssync"
    assert OutboundMessage.objects.filter(to=member.email, subject__startswith="You are on the team").exists()


def test_no_sms_for_members_who_did_not_choose_it(opportunity, outsider, owner):
    from samen.messaging.models import Channel, OutboundMessage

    Channel.objects.create(kind="smssync", name="Phone", secret="s")
    outsider.phone = "+31611111111"
    outsider.save()
    participation, _ = actions.apply(opportunity, outsider)
    actions.decide(participation, owner, accept=True)
    assert not OutboundMessage.objects.filter(to="+31611111111").exists()


def test_accepting_beyond_the_places_is_refused(opportunity, member, outsider, team_member, owner):
    opportunity.places_available = 1
    opportunity.save()
    first, _ = actions.apply(opportunity, member)
    second, _ = actions.apply(opportunity, outsider)
    actions.decide(first, owner, accept=True)
    with pytest.raises(ValidationError, match="All places"):
        actions.decide(second, owner, accept=True)


def test_a_participant_withdraws_and_may_apply_again(accepted, opportunity, member):
    actions.withdraw(accepted)
    assert Participation.objects.get().state == Participation.State.WITHDRAWN
    again, created = actions.apply(opportunity, member)
    assert not created and again.state == Participation.State.APPLIED


def test_an_invitation_is_accepted_by_joining(opportunity, outsider, owner):
    invitation, created = actions.invite(opportunity, outsider, owner)
    assert created and invitation.state == Participation.State.INVITED
    joined, _ = actions.apply(opportunity, outsider)
    assert joined.state == Participation.State.ACCEPTED


def test_members_closed_to_invitations_are_not_invited(opportunity, outsider, owner):
    outsider.open_to_invitations = False
    outsider.save()
    with pytest.raises(ValidationError):
        actions.invite(opportunity, outsider, owner)


def test_a_closed_or_past_task_takes_nobody(opportunity, member):
    opportunity.deadline = timezone.localdate() - timedelta(days=1)
    opportunity.save()
    with pytest.raises(ValidationError):
        actions.apply(opportunity, member)


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_hours_must_be_positive_and_bounded(accepted, minutes):
    with pytest.raises(ValidationError):
        actions.log_hours(accepted, minutes=minutes)
    assert not TimeEntry.objects.exists()


def test_the_database_bounds_hours_too(accepted):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.create(participation=accepted, minutes=24 * 60 + 1)


def test_only_accepted_participants_log_hours(opportunity, member):
    participation, _ = actions.apply(opportunity, member)
    with pytest.raises(ValidationError):
        actions.log_hours(participation, minutes=60)


@pytest.mark.parametrize(
    ("text", "minutes"), [("2", 120), ("1.5", 90), ("1,5", 90), ("45m", 45), ("3h", 180)]
)
def test_hours_are_read_as_people_type_them(text, minutes):
    assert actions.parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["", "two", "0", "-1", "25", "nan"])
def test_nonsense_hours_are_refused(text):
    with pytest.raises(ValidationError):
        actions.parse_hours(text)


def test_confirmed_hours_enter_the_ledger_once(accepted, owner, member, monkeypatch):
    from samen.outreach import attribution

    conversions = []
    monkeypatch.setattr(attribution, "record_conversion", lambda **kwargs: conversions.append(kwargs))
    entry, _ = actions.log_hours(accepted, minutes=90, note="Posters 1-4")
    assert not Contribution.objects.exists()
    actions.confirm_hours(entry, owner)
    actions.confirm_hours(entry, owner)
    line = Contribution.objects.get()
    assert (line.kind, line.minutes, line.member, line.initiative) == (
        "time",
        90,
        member,
        accepted.opportunity.initiative,
    )
    assert line.source == "volunteering.time_entry" and line.source_ref == str(entry.pk)
    assert [(c["kind"], c["minutes"]) for c in conversions] == [("hours", 90), ("hours", 90)]
    assert conversions[0]["source_ref"] == str(entry.pk)


def test_rejected_hours_stay_out_of_the_ledger(accepted, owner):
    entry, _ = actions.log_hours(accepted, minutes=60)
    actions.reject_hours(entry, owner)
    with pytest.raises(ValidationError):
        actions.confirm_hours(entry, owner)
    assert not Contribution.objects.exists()


def test_joining_records_a_volunteer_join_conversion(opportunity, member, monkeypatch):
    from samen.outreach import attribution

    seen = []
    monkeypatch.setattr(attribution, "record_conversion", lambda **kwargs: seen.append(kwargs))
    participation, _ = actions.apply(opportunity, member, request="the request")
    assert seen == [
        {
            "kind": "volunteer_join",
            "source": "volunteering.participation",
            "source_ref": str(participation.pk),
            "request": "the request",
            "member": member,
            "initiative": opportunity.initiative,
        }
    ]


def test_a_comment_reaches_the_team_and_participants_but_not_its_author(accepted, opportunity, member):
    from samen.messaging.models import OutboundMessage

    comment = actions.post_comment(opportunity, member, "Poster 2 is done.")
    rows = OutboundMessage.objects.filter(idempotency_key__startswith=f"volunteering.comment:{comment.pk}:")
    assert sorted(rows.values_list("to", flat=True)) == ["olga@example.org", "tom@example.org"]


def test_a_title_with_line_breaks_still_reaches_everyone_with_a_one_line_subject(
    opportunity, member, owner, django_capture_on_commit_callbacks, mailoutbox
):
    from samen.messaging.models import OutboundMessage

    opportunity.title = "Paint the\r\nschool\u2028walls\tBcc: everyone@example.org"
    opportunity.save(update_fields=["title"])
    with django_capture_on_commit_callbacks(execute=True):
        participation, _ = actions.apply(opportunity, member)
        actions.decide(participation, owner, accept=True)

    mails = OutboundMessage.objects.filter(gateway="email")
    assert mails.count() == 3  # to the team (owner and team member), then to the participant
    assert all(mail.state == OutboundMessage.State.SENT for mail in mails), [m.last_error for m in mails]
    assert len(mailoutbox) == 3
    assert {message.subject for message in mailoutbox} == {
        "Mia Member wants to help with “Paint the school walls Bcc: everyone@example.org”",
        "You are on the team for “Paint the school walls Bcc: everyone@example.org”",
    }
