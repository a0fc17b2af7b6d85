"""Tracked-link clicks: a visitor counts once per window, an address only so often; the redirect always works.

The same limits hold across processes: tests/test_throttles_across_processes.py.
"""

import pytest
from django.test import Client, RequestFactory

from samen.outreach import attribution
from samen.outreach.models import DailyCount, Touch

from .conftest import BROWSER_UA, DESKTOP_UA

pytestmark = pytest.mark.django_db


def short_link(initiative, variant, channel="whatsapp"):
    url = attribution.tracked_url(
        RequestFactory().get("/"), target=initiative.get_absolute_url(), channel=channel, variant=variant
    )
    return "/l/" + url.rsplit("/", 1)[1]


def test_a_script_clicking_without_cookies_is_one_visitor_and_still_redirected(
    throttles, initiative, variants
):
    throttles(link_visitor="1/30m", link_address="20/h")
    link = short_link(initiative, variants["B"])

    script = Client(HTTP_USER_AGENT=BROWSER_UA)

    # Three hundred clicks from one address and one browser, never keeping the cookie.
    answers = []
    for _ in range(300):
        script.cookies.clear()
        answers.append(script.get(link))

    assert {answer.status_code for answer in answers} == {302}
    assert {answer["Location"] for answer in answers} == {initiative.get_absolute_url()}
    assert Touch.objects.count() == 1
    daily = DailyCount.objects.get()
    assert (daily.clicks, daily.visitors) == (1, 1)


def test_a_throttled_click_sets_no_cookie_and_touches_no_figure(throttles, initiative, variants):
    throttles(link_visitor="1/30m")
    link = short_link(initiative, variants["A"])
    person = Client(HTTP_USER_AGENT=BROWSER_UA)
    first = person.get(link)

    again = person.get(link)

    assert again.status_code == 302
    assert "smn_t" in first.cookies and "smn_t" not in again.cookies
    assert Touch.objects.count() == 1


def test_people_behind_one_address_count_until_the_address_limit(throttles, initiative, variants):
    throttles(link_visitor="1/30m", link_address="3/h")
    link = short_link(initiative, variants["A"])
    browsers = [BROWSER_UA, DESKTOP_UA, f"{BROWSER_UA} (a)", f"{BROWSER_UA} (b)", f"{BROWSER_UA} (c)"]

    for browser in browsers:
        assert Client(HTTP_USER_AGENT=browser).get(link).status_code == 302

    assert Touch.objects.count() == 3
    # Another address, and the same visitor on another link, count on their own.
    Client(HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR="198.51.100.7").get(link)
    Client(HTTP_USER_AGENT=BROWSER_UA).get(short_link(initiative, variants["B"], channel="sms"))
    assert Touch.objects.count() == 5


def test_throttled_clicks_never_reach_the_ab_figures(
    throttles, client_as, owner, initiative, message, variants
):
    throttles(link_visitor="1/30m")
    a, b = short_link(initiative, variants["A"]), short_link(initiative, variants["B"])
    script = Client(HTTP_USER_AGENT=BROWSER_UA)
    for _ in range(50):  # one visitor hammering B, without cookies
        script.cookies.clear()
        script.get(b)
    Client(HTTP_USER_AGENT=DESKTOP_UA).get(a)

    counts = {
        row.variant.label: (row.clicks, row.visitors) for row in DailyCount.objects.select_related("variant")
    }

    assert counts == {"A": (1, 1), "B": (1, 1)}
