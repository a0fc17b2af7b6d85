"""A campaign's outreach: the organiser writes a message with variants, promoters share it with
links to their own page, gifts through those links land on the right variant and channel, and
the organiser alone reads the dashboard, the CSV and sends to the campaign's audience."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from samen.api.models import ApiToken
from samen.giving.models import Donation, Promoter
from samen.initiatives.models import Follow
from samen.messaging import optout
from samen.messaging.models import OutboundMessage
from samen.outreach.models import Conversion, Message, TrackedLink

from .conftest import donate_form

pytestmark = pytest.mark.django_db

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/125.0 Mobile Safari/537.36"
)
FORM = {
    "title": "Last six hours",
    "target": "",
    "email_subject": "Six hours left",
    "text_a": "Six hours left: every euro counts for clean water.",
    "sms_a": "",
    "text_b": "300 families, one tap. Give before midnight.",
    "sms_b": "One tap. Give now.",
    "text_c": "",
    "sms_c": "",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    from samen.core.cache import fragments

    fragments.clear()
    yield
    fragments.clear()


@pytest.fixture
def campaign_message(client_as, outsider, campaign, project):
    response = client_as(outsider).post(f"/give/campaigns/{campaign.slug}/outreach/new/", FORM)
    assert response.status_code == 302, response.content
    return Message.objects.get(title="Last six hours")


def _short_link(html: str, variant: str, channel: str) -> str:
    marker = f'data-channel="{channel}" data-variant="{variant}"'
    start = html.index(marker)
    value = html.rindex('value="', 0, start) + len('value="')
    return html[value : html.index('"', value)].replace("http://testserver", "")


def test_the_organiser_writes_a_message_with_two_variants_about_the_campaign(
    client_as, outsider, campaign, campaign_message
):
    assert campaign_message.initiative is None
    assert campaign_message.subject == campaign
    assert campaign_message.target == campaign.get_absolute_url()
    assert sorted(v.label for v in campaign_message.variants.all()) == ["A", "B"]
    assert campaign_message.variants.get(label="A").preview_title == campaign.title

    page = client_as(outsider).get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # Six channels per variant, each a tracked short link; and a way back to the list.
    assert html.count("data-channel=") == 12
    assert f'href="/give/campaigns/{campaign.slug}/outreach/"' in html
    overview = client_as(outsider).get(f"/give/campaigns/{campaign.slug}/outreach/").content.decode()
    assert "Last six hours" in overview
    assert f'href="{campaign.get_absolute_url()}"' in overview
    assert (
        f"/give/campaigns/{campaign.slug}/outreach/"
        in client_as(outsider).get(campaign.get_absolute_url()).content.decode()
    )


def test_a_bad_target_is_a_form_error_and_stores_nothing(client_as, outsider, campaign):
    response = client_as(outsider).post(
        f"/give/campaigns/{campaign.slug}/outreach/new/", {**FORM, "target": "https://evil.example/"}
    )
    assert response.status_code == 200
    assert "Links may only lead" in response.content.decode()
    assert not Message.objects.exists()


def test_only_the_organiser_sees_the_dashboard_csv_and_sending(
    client_as, client, owner, team_member, member, outsider, campaign, campaign_message
):
    base = f"/give/campaigns/{campaign.slug}/outreach/"
    pages = [
        base,
        f"{base}new/",
        f"{base}{campaign_message.pk}/",
        f"{base}{campaign_message.pk}/edit/",
        f"{base}{campaign_message.pk}/export.csv",
    ]
    for path in pages:
        assert client_as(outsider).get(path).status_code == 200, path
        # The initiative's owner and team, a promoter: none of them organises the campaign.
        for person in (owner, team_member, member):
            assert client_as(person).get(path).status_code == 403, (path, person)
        assert client.get(path).status_code == 302, path  # to the sign-in page
    send = f"{base}{campaign_message.pk}/send/"
    assert client_as(member).post(send, {"variant": "A", "medium": "email"}).status_code == 403
    assert client_as(member).post(f"{base}{campaign_message.pk}/delete/").status_code == 403
    assert Message.objects.filter(pk=campaign_message.pk).exists()
    edited = client_as(outsider).post(
        f"{base}{campaign_message.pk}/edit/", {**FORM, "title": "The last six hours", "text_a": "Give now."}
    )
    assert edited["Location"] == f"{base}{campaign_message.pk}/"
    assert campaign_message.variants.get(label="A").text == "Give now."
    deleted = client_as(outsider).post(f"{base}{campaign_message.pk}/delete/")
    assert deleted["Location"] == base
    assert not Message.objects.exists()
    # Another campaign's organiser cannot reach this message through their own campaign either.
    assert client_as(outsider).get(f"{base}{campaign_message.pk + 1000}/").status_code == 404


def test_a_promoter_shares_with_links_to_their_own_page_and_the_gift_is_credited_on_variant_and_channel(
    client_as, owner, outsider, member, campaign, project, promoter, campaign_message
):
    promoter_page = client_as(member).get(promoter.get_absolute_url()).content.decode()
    share_path = f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/share/"
    assert share_path in promoter_page  # "Messages from the organiser", only on their own page

    share = client_as(member).get(share_path)
    assert share.status_code == 200
    short = _short_link(share.content.decode(), "B", "x")
    link = TrackedLink.objects.get(code=short.rsplit("/", 1)[1])
    assert (link.target, link.promoter, link.variant.label, link.channel) == (
        promoter.get_absolute_url(),
        member,
        "B",
        "x",
    )

    visitor = Client(HTTP_USER_AGENT=PHONE_UA)
    landed = visitor.get(short)
    assert landed.status_code == 302 and landed["Location"] == promoter.get_absolute_url()
    gave = visitor.post(
        f"/give/to/{project.initiative.slug}/", donate_form(amount="25", promoter=str(promoter.pk))
    )
    assert gave.status_code == 302
    donation = Donation.objects.get(email="vera@example.org")
    assert donation.promoter == promoter
    # A pledge becomes a conversion once the initiative's owner marks it paid.
    assert not Conversion.objects.exists()
    paid = client_as(owner).post(
        reverse("giving:donation_action", args=[project.initiative.slug, donation.pk, "paid"])
    )
    assert paid.status_code == 302
    conversion = Conversion.objects.get(kind="donation")
    assert (conversion.message, conversion.variant.label, conversion.channel) == (campaign_message, "B", "x")
    assert (conversion.amount_minor, conversion.promoter) == (2500, member)

    dashboard = client_as(outsider).get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/")
    html = dashboard.content.decode()
    assert "Variant B · X" in html
    assert member.display_name in html  # per promoter
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(
                    client_as(outsider)
                    .get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/export.csv")
                    .streaming_content
                ).decode()
            )
        )
    )
    assert [(r["variant"], r["channel"], r["clicks"], r["donation"], r["money_minor"]) for r in rows] == [
        ("B", "x", "1", "1", "EUR:2500")
    ]

    # Refunded, the gift no longer counts as money the message raised; the click still does.
    refunded = client_as(owner).post(
        reverse("giving:donation_action", args=[project.initiative.slug, donation.pk, "refund"])
    )
    assert refunded.status_code == 302
    assert not Conversion.objects.exists()
    html = client_as(outsider).get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/").content
    assert "€25.00" not in html.decode()


def test_a_member_who_is_no_promoter_gets_links_to_the_campaign_page(
    client_as, owner, campaign, campaign_message
):
    share = client_as(owner).get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/share/")
    short = _short_link(share.content.decode(), "A", "whatsapp")
    link = TrackedLink.objects.get(code=short.rsplit("/", 1)[1])
    assert (link.target, link.promoter) == (campaign.get_absolute_url(), owner)


def test_sending_reaches_followers_of_the_projects_and_promoters_but_not_who_opted_out(
    client_as,
    outsider,
    owner,
    team_member,
    member,
    campaign,
    project,
    promoter,
    campaign_message,
    django_capture_on_commit_callbacks,
):
    Follow.objects.create(initiative=project.initiative, member=team_member)
    Follow.objects.create(initiative=project.initiative, member=owner)
    optout.opt_out(owner.email, medium="email", via="test")
    dashboard = client_as(outsider).get(f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/")
    assert "By e-mail it goes to 2 followers." in dashboard.content.decode()  # not to who opted out
    send = f"/give/campaigns/{campaign.slug}/outreach/{campaign_message.pk}/send/"
    for _twice in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as(outsider).post(send, {"variant": "A", "medium": "email"})
        assert response.status_code == 302

    sent = OutboundMessage.objects.filter(idempotency_key__startswith="outreach:")
    recipients = sorted(sent.exclude(state="suppressed").values_list("to", flat=True))
    assert recipients == sorted([team_member.email, member.email])  # a follower and the promoter, once
    assert sent.filter(to=owner.email).exclude(state="suppressed").count() == 0
    body = sent.filter(to=member.email).get().body
    assert "Six hours left: every euro counts" in body
    assert "follow an initiative in The 24-hour action, or promote one" in body
    # A link of their own for each recipient; none made for the follower who opted out.
    per_recipient = TrackedLink.objects.filter(channel="email", message=campaign_message).exclude(
        recipient=""
    )
    assert sorted(per_recipient.values_list("recipient", flat=True)) == recipients


def test_the_api_serves_a_campaign_message_to_its_organiser_only(
    outsider, member, owner, campaign, promoter, campaign_message
):
    def api(person):
        _token, raw = ApiToken.issue(person, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    body = api(outsider).get(f"/api/outreach/messages/{campaign_message.pk}").json()
    assert body["initiative"] is None
    assert body["subject"] == {"kind": "campaign", "url": campaign.get_absolute_url()}
    assert api(outsider).get(f"/api/outreach/messages/{campaign_message.pk}/stats").status_code == 200
    assert api(owner).get(f"/api/outreach/messages/{campaign_message.pk}").status_code == 404
    assert api(member).get(f"/api/outreach/messages/{campaign_message.pk}/stats").status_code == 404

    mine = api(member).post(f"/api/outreach/messages/{campaign_message.pk}/my-links").json()
    code = mine["variants"][0]["share_links"][0]["short_url"].rsplit("/", 1)[1]
    assert TrackedLink.objects.get(code=code).target == Promoter.objects.get(member=member).get_absolute_url()
    assert Client().post(f"/api/outreach/messages/{campaign_message.pk}/my-links").status_code == 401


def test_the_organiser_writes_and_lists_campaign_messages_through_the_api(outsider, owner, campaign):
    def api(person):
        _token, raw = ApiToken.issue(person, "test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    path = f"/api/campaigns/{campaign.slug}/outreach/messages"
    payload = {
        "title": "API appeal",
        "variants": [{"label": "A", "text": "One"}, {"label": "B", "text": "Two"}],
    }
    created = api(outsider).post(path, payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["subject"]["kind"] == "campaign"
    assert [m["id"] for m in api(outsider).get(path).json()] == [created.json()["id"]]
    assert Message.objects.get().subject == campaign

    assert api(owner).post(path, payload, content_type="application/json").status_code == 403
    assert api(owner).get(path).status_code == 403
    bad = api(outsider).post(
        path, {**payload, "target": "https://evil.example/"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "only lead to a page on this site" in bad.json()["detail"]
    duplicate = {"title": "Twice", "variants": [{"label": "A", "text": "One"}, {"label": "A", "text": "Two"}]}
    assert api(outsider).post(path, duplicate, content_type="application/json").status_code == 400
    assert Message.objects.count() == 1
