"""`make run` seeds the demo site; running it again adds nothing."""

import pytest
from django.core.management import call_command
from django.test import Client

from samen.demo.management.commands.seed_demo import PASSWORD
from samen.initiatives.models import Initiative, Update
from samen.people.models import Member
from samen.reports.models import Report


@pytest.mark.django_db
def test_seeding_twice_adds_nothing_the_second_time(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    first = (
        Member.objects.count(),
        Initiative.objects.count(),
        Update.objects.count(),
        Report.objects.count(),
    )
    assert "new rows" in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    assert "already in place" in capsys.readouterr().out
    assert (
        Member.objects.count(),
        Initiative.objects.count(),
        Update.objects.count(),
        Report.objects.count(),
    ) == first
    assert Report.objects.published().count() >= 5
    assert Report.objects.exclude(status=Report.Status.PUBLISHED).exists()


@pytest.mark.django_db
def test_the_printed_demo_logins_work(capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("seed_demo", "--logins")
    printed = capsys.readouterr().out
    emails = [line.split()[0] for line in printed.splitlines() if "@samen.example" in line]
    assert "admin@samen.example" in emails and len(emails) == Member.objects.count()
    for email in emails:
        assert Client().login(email=email, password=PASSWORD), email
