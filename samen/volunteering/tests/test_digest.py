"""The weekly digest: matching new tasks, by e-mail, respecting preferences, once a week."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from samen.messaging import optout
from samen.messaging.models import OutboundMessage
from samen.volunteering.tasks import send_digest, week_key

pytestmark = pytest.mark.django_db


def digests():
    return OutboundMessage.objects.filter(idempotency_key__startswith="volunteering.digest:")


@pytest.fixture
def translator(outsider):
    outsider.skills = ["translation", "Dutch"]
    outsider.save()
    return outsider


def test_a_member_gets_the_new_tasks_that_fit_with_reasons(opportunity, translator):
    assert send_digest() == 1
    mail = digests().get()
    assert mail.to == translator.email
    assert opportunity.title in mail.body and "matches your skills: Dutch, translation" in mail.body
    assert mail.idempotency_key == f"volunteering.digest:{translator.pk}:{week_key()}"


def test_running_twice_sends_once(opportunity, translator):
    send_digest()
    send_digest()
    call_command("volunteering_digest")
    assert digests().count() == 1


def test_members_who_do_not_take_email_get_none(opportunity, translator):
    translator.contact_by_email = False
    translator.save()
    send_digest()
    assert not digests().exists()


def test_an_address_that_opted_out_gets_nothing_sent(opportunity, translator):
    optout.opt_out(translator.email, medium=optout.Medium.EMAIL, via="test")
    send_digest()
    assert digests().get().state == OutboundMessage.State.SUPPRESSED


def test_the_team_is_not_sent_its_own_tasks(opportunity, team_member):
    # Tom's skills are "translation, Dutch", but he is on the initiative's team.
    send_digest()
    assert not digests().filter(to=team_member.email).exists()


def test_old_tasks_are_not_news(opportunity, translator):
    opportunity.created_at = timezone.now() - timedelta(days=8)
    opportunity.save()
    assert send_digest() == 0
