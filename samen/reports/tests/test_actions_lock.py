"""The edit lock: one conditional UPDATE decides who holds it, so two reviewers never both get it."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from samen.reports import actions
from samen.reports.models import Report


@pytest.mark.django_db
def test_the_first_reviewer_gets_the_lock_and_the_second_does_not(reviewer, people, make_report):
    report = make_report()
    copy = Report.objects.get(pk=report.pk)

    assert actions.acquire_lock(report, reviewer) is True
    assert actions.acquire_lock(copy, people["team"]) is False
    assert copy.locked_by == reviewer


@pytest.mark.django_db
def test_the_holder_renews_the_lock(reviewer, make_report):
    report = make_report()
    actions.acquire_lock(report, reviewer)
    first_until = report.locked_until

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert actions.acquire_lock(report, reviewer) is True

    assert report.locked_until > first_until


@pytest.mark.django_db
def test_actions_refuse_while_another_reviewer_holds_the_lock(reviewer, people, make_report):
    report = make_report()
    actions.acquire_lock(report, reviewer)

    with pytest.raises(actions.ReportLocked) as refused:
        actions.publish_report(Report.objects.get(pk=report.pk), people["team"])

    assert refused.value.holder == reviewer
    assert Report.objects.get(pk=report.pk).status == Report.Status.RECEIVED


@pytest.mark.django_db
def test_an_expired_lock_stops_nobody(reviewer, people, make_report):
    report = make_report()
    actions.acquire_lock(report, reviewer)

    with time_machine.travel(timezone.now() + timedelta(minutes=actions.LOCK_MINUTES + 1)):
        actions.publish_report(Report.objects.get(pk=report.pk), people["team"])

    assert Report.objects.get(pk=report.pk).status == Report.Status.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_racing_for_the_lock_leave_exactly_one_holder(reviewer, people, make_report):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers itself; the race needs a server database")
    report = make_report()
    start = threading.Barrier(2)
    results = {}

    def race(person):
        try:
            start.wait()
            results[person.pk] = actions.acquire_lock(Report.objects.get(pk=report.pk), person)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(person,)) for person in (reviewer, people["team"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results.values()) == [False, True]
    winner = next(pk for pk, won in results.items() if won)
    assert Report.objects.get(pk=report.pk).locked_by_id == winner
