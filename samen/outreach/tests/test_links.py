"""Tracked links: same arguments give the same link, and targets stay on the site."""

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from samen.outreach import attribution
from samen.outreach.models import TrackedLink

pytestmark = pytest.mark.django_db


def _request():
    return RequestFactory().get("/", HTTP_HOST="testserver")


def test_the_same_arguments_give_the_same_link(initiative, owner):
    first = attribution.tracked_url(
        _request(), target="/initiatives/x/", channel="x", subject=initiative, promoter=owner
    )
    again = attribution.tracked_url(
        _request(), target="/initiatives/x/", channel="x", subject=initiative, promoter=owner
    )
    other = attribution.tracked_url(
        _request(), target="/initiatives/x/", channel="whatsapp", subject=initiative
    )

    assert first == again
    assert first.startswith("http://testserver/l/")
    assert other != first
    assert TrackedLink.objects.count() == 2
    link = TrackedLink.objects.get(code=first.rsplit("/", 1)[1])
    assert link.subject == initiative
    assert link.initiative == initiative
    assert link.promoter == owner


def test_share_links_give_one_tracked_link_per_channel_with_intents(initiative, variants):
    links = attribution.share_links(
        _request(), target=initiative.get_absolute_url(), text="Hello there", variant=variants["A"]
    )

    assert [link.channel for link in links] == list(attribution.SHARE_CHANNELS)
    assert len({link.short_url for link in links}) == 6
    by_channel = {link.channel: link for link in links}
    assert by_channel["x"].url.startswith("https://x.com/intent/tweet?text=")
    assert by_channel["whatsapp"].url.startswith("https://wa.me/?text=")
    assert by_channel["linkedin"].label == "Share on LinkedIn"
    # The variant's own text goes in, with the short link.
    assert "Clean%20water" in by_channel["whatsapp"].url
    assert by_channel["facebook"].short_url.split("/l/")[1] in by_channel["facebook"].url
    assert set(TrackedLink.objects.values_list("variant", flat=True)) == {variants["A"].pk}


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
        "ftp://127.0.0.1/",
        "relative/path",
        "/ok\r\nLocation: https://evil.example",
    ],
)
def test_targets_off_the_site_are_refused(initiative, target):
    with pytest.raises(ValidationError):
        attribution.tracked_url(_request(), target=target, channel="x", subject=initiative)
    assert not TrackedLink.objects.exists()


def test_an_allow_listed_host_may_be_a_target(settings, initiative):
    settings.SAMEN_OUTREACH_REDIRECT_HOSTS = ["donate.partner.example"]
    url = attribution.tracked_url(_request(), target="https://donate.partner.example/kibera", channel="x")
    assert "/l/" in url


def test_a_link_without_a_request_is_built_on_the_site_url(settings, initiative):
    settings.SITE_URL = "https://samen.example"
    url = attribution.tracked_url(None, target="/initiatives/", channel="sms", recipient="+31612345678")
    assert url.startswith("https://samen.example/l/")


def test_an_absolute_url_on_this_site_is_stored_as_its_path(initiative):
    url = attribution.tracked_url(
        _request(), target="http://testserver/initiatives/clean-water-kibera/?from=mail", channel="email"
    )
    link = TrackedLink.objects.get(code=url.rsplit("/", 1)[1])
    assert link.target == "/initiatives/clean-water-kibera/?from=mail"


def test_an_e_mail_subject_from_the_text_ends_at_a_sentence_or_a_word():
    from samen.outreach.links import intent_url

    long = "I raise money for Clean water for Kibera in The 24-hour action (demo). Will you help?"
    assert (
        "subject=I%20raise%20money%20for%20Clean%20water%20for%20Kibera%20in%20The%2024-hour%20action%20%28demo%29.&"
        in (intent_url("email", text=long, url="https://samen.example/l/abc"))
    )
    words = "water " * 30
    subject = intent_url("email", text=words, url="u").split("subject=", 1)[1].split("&", 1)[0]
    assert subject.endswith("water%E2%80%A6") and len(subject) < 120
    assert "subject=Given&" in intent_url("email", text=long, url="u", subject="Given")
