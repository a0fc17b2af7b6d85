"""The outreach API: team-only messages, promoter links and the figures."""

import pytest
from django.test import Client

from samen.api.models import ApiToken
from samen.outreach.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_for(db):
    def make(member):
        _token, raw = ApiToken.issue(member, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def test_the_team_creates_a_message_and_reads_its_links_and_stats(token_for, owner, initiative):
    client = token_for(owner)
    response = client.post(
        f"/api/initiatives/{initiative.slug}/outreach/messages",
        {"title": "API appeal", "variants": [{"label": "A", "text": "One"}, {"label": "B", "text": "Two"}]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [v["label"] for v in body["variants"]] == ["A", "B"]
    assert len(body["variants"][0]["share_links"]) == 6
    assert body["variants"][0]["share_links"][0]["short_url"].startswith("http://testserver/l/")

    stats = client.get(f"/api/outreach/messages/{body['id']}/stats").json()
    assert [row["label"] for row in stats["variants"]] == []
    assert client.get(f"/api/outreach/messages/{body['id']}/stats?model=middle").status_code == 400
    assert client.get(f"/api/initiatives/{initiative.slug}/outreach/messages").json()[0]["id"] == body["id"]


def test_an_open_redirect_through_the_api_is_refused_with_a_detail(token_for, owner, initiative):
    response = token_for(owner).post(
        f"/api/initiatives/{initiative.slug}/outreach/messages",
        {"title": "x", "target": "https://evil.example/", "variants": [{"label": "A", "text": "One"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "only lead to a page on this site" in response.json()["detail"]
    assert not Message.objects.exists()


def test_outsiders_do_not_see_messages_but_may_get_promoter_links(token_for, outsider, message, initiative):
    client = token_for(outsider)
    assert client.get(f"/api/outreach/messages/{message.pk}").status_code == 404
    assert client.get(f"/api/outreach/messages/{message.pk}/stats").status_code == 404
    assert client.get(f"/api/initiatives/{initiative.slug}/outreach/messages").status_code == 404
    mine = client.post(f"/api/outreach/messages/{message.pk}/my-links")
    assert mine.status_code == 200
    assert message.links.filter(promoter=outsider).count() == 12
    assert Client().get(f"/api/outreach/messages/{message.pk}").status_code == 401


def test_texts_per_channel_through_the_api(token_for, owner, initiative):
    client = token_for(owner)
    path = f"/api/initiatives/{initiative.slug}/outreach/messages"
    variant = {
        "label": "A",
        "text": "Share text.",
        "channel_texts": {"x": "Short for X.", "linkedin": "Longer."},
    }
    created = client.post(
        path, {"title": "Per channel", "variants": [variant]}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()["variants"][0]
    assert body["channel_texts"] == {"x": "Short for X.", "linkedin": "Longer."}
    texts = {link["channel"]: link["text"] for link in body["share_links"]}
    assert texts == {
        "x": "Short for X.",
        "linkedin": "Longer.",
        "facebook": "Share text.",
        "whatsapp": "Share text.",
        "email": "Share text.",
        "sms": "Share text.",
    }

    for bad, where in (
        ({"tiktok": "Hi"}, "variants.A.tiktok"),
        ({"x": "y" * 257}, "variants.A.x"),
    ):
        refused = client.post(
            path,
            {"title": "Bad", "variants": [{**variant, "channel_texts": bad}]},
            content_type="application/json",
        )
        assert refused.status_code == 400
        assert where in str(refused.json()), refused.json()
    too_long = {"label": "A", "text": "z" * 300}
    refused = client.post(path, {"title": "Long", "variants": [too_long]}, content_type="application/json")
    assert refused.status_code == 400 and "280 characters" in refused.json()["detail"]
    assert Message.objects.count() == 1
