"""Old touches go; the figures, the conversions and what members arrived with keep their copies."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from samen.outreach import attribution, stats
from samen.outreach.models import Conversion, DailyCount, MemberTouches, Touch

from .conftest import BROWSER_UA

pytestmark = pytest.mark.django_db


def _click(initiative, variant, channel):
    url = attribution.tracked_url(
        RequestFactory().get("/"), target=initiative.get_absolute_url(), channel=channel, variant=variant
    )
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    client.get("/l/" + url.rsplit("/", 1)[1])
    return client


def test_touches_older_than_the_retention_go_and_the_figures_stay(initiative, message, variants, member):
    start = timezone.now() - timedelta(days=200)
    with time_machine.travel(start, tick=False):
        old_visitor = _click(initiative, variants["B"], "x")
        _click(initiative, variants["A"], "whatsapp")
        request = RequestFactory().get("/")
        request.COOKIES = {key: morsel.value for key, morsel in old_visitor.cookies.items()}
        attribution.record_conversion(
            kind=attribution.DONATION, source="test", source_ref="1", request=request, member=member,
            amount_minor=2500, currency="EUR",
        )  # fmt: skip
        MemberTouches.objects.create(
            member=member, first_touch=Touch.objects.first(), last_touch=Touch.objects.first()
        )
    _click(initiative, variants["A"], "x")
    before = {(row.key, row.clicks, row.conversion_count) for row in stats.grouped(message, "variant")}
    assert Touch.objects.count() == 3

    out, err = io.StringIO(), io.StringIO()
    call_command("outreach_purge_touches", stdout=out, stderr=err)

    assert Touch.objects.count() == 1
    assert Touch.objects.get().at > timezone.now() - timedelta(days=1)
    assert "Deleted 2 touches older than 180 days." in out.getvalue()
    assert "2/2" in err.getvalue()  # the progress bar
    conversion = Conversion.objects.get()
    assert (conversion.first_touch, conversion.last_touch) == (None, None)
    assert (conversion.variant, conversion.channel) == (variants["B"], "x")
    assert MemberTouches.objects.get(member=member).first_touch is None
    assert DailyCount.objects.count() == 3
    assert {
        (row.key, row.clicks, row.conversion_count) for row in stats.grouped(message, "variant")
    } == before

    call_command("outreach_purge_touches", stdout=io.StringIO(), stderr=io.StringIO())
    assert Touch.objects.count() == 1


def test_the_attribution_window_is_never_purged(initiative):
    with pytest.raises(CommandError, match="still needed"):
        call_command("outreach_purge_touches", "--days", "30", stdout=io.StringIO(), stderr=io.StringIO())
