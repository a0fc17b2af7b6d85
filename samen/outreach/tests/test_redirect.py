"""/l/<code>: a fast redirect that records one touch for a person's click, and nothing for machines."""

import pytest
from django.test import Client, RequestFactory

from samen.outreach import attribution, tracking
from samen.outreach.models import DailyCount, MemberTouches, Touch, TrackedLink

from .conftest import BROWSER_UA, DESKTOP_UA

pytestmark = pytest.mark.django_db


@pytest.fixture
def short(initiative, variants):
    url = attribution.tracked_url(
        RequestFactory().get("/"),
        target=initiative.get_absolute_url(),
        channel="whatsapp",
        variant=variants["B"],
    )
    return "/l/" + url.rsplit("/", 1)[1]


def test_a_click_redirects_and_records_a_touch(short, visitor, initiative, variants):
    response = visitor.get(short, HTTP_REFERER="https://web.whatsapp.com/some/chat")

    assert response.status_code == 302
    assert response["Location"] == initiative.get_absolute_url()
    assert "no-store" in response["Cache-Control"]
    touch = Touch.objects.get()
    assert touch.variant == variants["B"]
    assert touch.message == variants["B"].message
    assert touch.channel == "whatsapp"
    assert touch.referrer_host == "web.whatsapp.com"
    assert touch.device == Touch.Device.MOBILE
    assert touch.new_visitor
    # Nothing of the network address is kept anywhere on the row.
    assert "127.0.0.1" not in str(Touch.objects.values().get())
    daily = DailyCount.objects.get()
    assert (daily.clicks, daily.visitors, daily.channel) == (1, 1, "whatsapp")
    assert tracking.COOKIE in response.cookies


def test_a_second_click_by_the_same_visitor_is_a_click_but_not_a_new_visitor(short, visitor):
    visitor.get(short)
    visitor.get(short)
    Client(HTTP_USER_AGENT=DESKTOP_UA).get(short)

    daily = DailyCount.objects.get()
    assert (daily.clicks, daily.visitors) == (3, 2)
    assert Touch.objects.filter(new_visitor=True).count() == 2


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0 A",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_bots_and_preview_fetchers_are_left_out(short, user_agent):
    response = Client(HTTP_USER_AGENT=user_agent).get(short)

    assert response.status_code in {200, 302}
    assert not Touch.objects.exists()
    assert not DailyCount.objects.exists()


def test_preview_fetchers_get_open_graph_and_twitter_card_metadata(short, variants):
    response = Client(HTTP_USER_AGENT="facebookexternalhit/1.1").get(short)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta property="og:title" content="Clean water for Kibera">' in html
    assert 'property="og:description" content="One tap, 300 families. Join us."' in html
    assert '<meta name="twitter:card"' in html
    assert 'property="og:url" content="http://testserver/initiatives/clean-water-kibera/"' in html


@pytest.mark.parametrize("header", ["HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE"])
def test_prefetches_are_redirected_but_not_counted(short, header):
    response = Client(HTTP_USER_AGENT=BROWSER_UA, **{header: "prefetch"}).get(short)
    assert response.status_code == 302
    assert not Touch.objects.exists()


def test_head_requests_are_not_counted(short):
    response = Client(HTTP_USER_AGENT=BROWSER_UA).head(short)
    assert response.status_code == 302
    assert not Touch.objects.exists()


def test_an_unknown_code_gets_a_404_page_with_a_way_home(visitor):
    response = visitor.get("/l/nope123")

    assert response.status_code == 404
    html = response.content.decode()
    assert "This link does not work" in html
    assert 'href="/"' in html
    assert not Touch.objects.exists()


def test_open_redirect_attempts_are_refused(short, visitor, initiative):
    # Query strings and extra path parts never change where a link leads.
    response = visitor.get(short + "?next=https://evil.example/&url=//evil.example")
    assert response["Location"] == initiative.get_absolute_url()
    assert visitor.get(short + "/https://evil.example").status_code == 404
    # A row that was tampered with in the database still cannot send anyone away.
    link = TrackedLink.objects.get()
    TrackedLink.objects.filter(pk=link.pk).update(target="https://evil.example/")
    tampered = TrackedLink.objects.create(code="tamper1", key="k" * 64, target="//evil.example", channel="x")
    assert visitor.get(f"/l/{tampered.code}").status_code == 404


def test_a_forged_cookie_is_ignored(short, visitor):
    visitor.cookies[tracking.COOKIE] = "someone:1:1:1"
    visitor.get(short)
    assert Touch.objects.get().visitor != "someone"


def test_a_signed_in_member_who_clicks_keeps_the_touch_on_their_account(short, outsider):
    client = Client(HTTP_USER_AGENT=BROWSER_UA)
    client.force_login(outsider)
    client.get(short)

    touch = Touch.objects.get()
    assert touch.member == outsider
    stored = MemberTouches.objects.get(member=outsider)
    assert stored.first_touch == stored.last_touch == touch
