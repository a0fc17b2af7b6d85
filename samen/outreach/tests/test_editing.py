"""Changing a message's texts keeps its links; deleting is possible only until someone uses them."""

import pytest
from django.test import Client

from samen.outreach.models import Message, TrackedLink, Variant

from .conftest import BROWSER_UA

pytestmark = pytest.mark.django_db


def _form(message, **changes):
    data = {
        "title": message.title,
        "email_subject": "",
        "text_a": "Clean water changes everything. Help us build water points.",
        "sms_a": "",
        "text_b": "One tap, 300 families. Join us.",
        "sms_b": "One tap, 300 families.",
        "text_c": "",
        "sms_c": "",
    }
    data.update(changes)
    return data


def _share_codes(client, initiative, message) -> dict:
    html = client.get(f"/outreach/{initiative.slug}/m/{message.pk}/").content.decode()
    return {
        link.code: link.variant.label
        for link in TrackedLink.objects.filter(message=message)
        if link.code in html and link.variant
    }


def test_new_wording_keeps_the_links_and_a_variant_can_be_added(client_as, owner, initiative, message):
    client = client_as(owner)
    before = _share_codes(client, initiative, message)
    assert sorted(set(before.values())) == ["A", "B"]

    response = client.post(
        f"/outreach/{initiative.slug}/m/{message.pk}/edit/",
        _form(
            message,
            title="Spring appeal, take two",
            text_a="Water points for Kibera: help now.",
            target="/somewhere/else/",  # the field is fixed; a posted value is ignored
            text_c="A third way to say it.",
        ),
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.title == "Spring appeal, take two"
    assert message.target == initiative.get_absolute_url()
    variants = {v.label: v for v in message.variants.all()}
    assert variants["A"].text == "Water points for Kibera: help now."
    # The preview followed the text it was made from; a third variant is there with its own links.
    assert variants["A"].preview_description == "Water points for Kibera: help now."
    assert sorted(variants) == ["A", "B", "C"]
    after = _share_codes(client, initiative, message)
    assert set(before) <= set(after)
    assert "C" in after.values()
    page = client.get(f"/outreach/{initiative.slug}/m/{message.pk}/share/").content.decode()
    assert "Water%20points%20for%20Kibera" in page


def test_a_variant_with_links_cannot_be_emptied(client_as, owner, initiative, message):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/m/{message.pk}/edit/", _form(message, text_b="", sms_b="")
    )
    assert response.status_code == 200
    assert "Variant B stays" in response.content.decode()
    assert Variant.objects.filter(message=message, label="B", text="One tap, 300 families. Join us.").exists()


def test_only_the_team_edits_or_deletes(client_as, client, member, outsider, initiative, message):
    for path in (f"/outreach/{initiative.slug}/m/{message.pk}/edit/",):
        for person in (member, outsider):
            assert client_as(person).get(path).status_code == 404
        assert client.get(path).status_code == 302
    delete = f"/outreach/{initiative.slug}/m/{message.pk}/delete/"
    for person in (member, outsider):
        assert client_as(person).post(delete).status_code == 404
    assert Message.objects.filter(pk=message.pk).exists()


def test_a_message_is_deleted_until_someone_uses_a_link(client_as, owner, team_member, initiative, message):
    team = client_as(team_member)
    assert team.get(f"/outreach/{initiative.slug}/m/{message.pk}/delete/").status_code == 405
    page = team.get(f"/outreach/{initiative.slug}/m/{message.pk}/").content.decode()
    assert "Delete this message" in page
    code = TrackedLink.objects.filter(message=message).first().code
    Client(HTTP_USER_AGENT=BROWSER_UA).get(f"/l/{code}")

    page = team.get(f"/outreach/{initiative.slug}/m/{message.pk}/").content.decode()
    assert "Delete this message" not in page
    refused = team.post(f"/outreach/{initiative.slug}/m/{message.pk}/delete/", follow=True)
    assert "it stays, with its figures" in refused.content.decode()
    assert Message.objects.filter(pk=message.pk).exists()

    unused = Message.objects.create(initiative=initiative, subject=initiative, title="Draft", target="/")
    gone = client_as(owner).post(f"/outreach/{initiative.slug}/m/{unused.pk}/delete/")
    assert gone.status_code == 302 and gone["Location"] == f"/outreach/{initiative.slug}/"
    assert not Message.objects.filter(pk=unused.pk).exists()


def test_a_variant_says_something_else_on_each_channel_where_asked(
    client_as, owner, member, initiative, django_capture_on_commit_callbacks
):
    from samen.initiatives.models import Follow
    from samen.messaging.models import OutboundMessage

    long_text = "Water for Kibera. " * 20  # 360 characters: too long for X
    data = {
        "title": "Per channel",
        "email_subject": "",
        "text_a": long_text,
        "x_a": "",
        "text_b": "",
        "text_c": "",
    }
    client = client_as(owner)
    refused = client.post(f"/outreach/{initiative.slug}/new/", data)
    assert refused.status_code == 200
    assert "A post on X holds 280 characters" in refused.content.decode()
    assert not Message.objects.exists()

    data.update(x_a="Water for Kibera: 300 families, one tap.", email_a="Dear friend,\nwater for Kibera.")
    created = client.post(f"/outreach/{initiative.slug}/new/", data)
    assert created.status_code == 302, created.content.decode()
    message = Message.objects.get()
    variant = message.variants.get()
    assert variant.channel_texts == {
        "x": "Water for Kibera: 300 families, one tap.",
        "email": "Dear friend,\nwater for Kibera.",
    }
    page = client.get(created["Location"]).content.decode()
    assert "https://x.com/intent/tweet?text=Water%20for%20Kibera%3A%20300%20families" in page
    assert "https://wa.me/?text=Water%20for%20Kibera.%20Water%20for%20Kibera." in page  # the share text
    assert 'data-text-for="email"' in page

    Follow.objects.get_or_create(initiative=initiative, member=member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/outreach/{initiative.slug}/m/{message.pk}/send/", {"variant": "A", "medium": "email"})
    body = OutboundMessage.objects.get(to=member.email).body
    assert body.startswith("Dear friend,\nwater for Kibera.")

    # Editing shows the texts per channel again, and keeps them unless changed.
    edit = client.get(f"/outreach/{initiative.slug}/m/{message.pk}/edit/").content.decode()
    assert "Water for Kibera: 300 families, one tap.</textarea>" in edit
    assert "<details open>" in edit


def test_a_text_for_a_channel_needs_a_share_text(client_as, owner, initiative):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/new/",
        {"title": "x", "text_a": "One.", "linkedin_b": "Only for LinkedIn.", "text_b": "", "text_c": ""},
    )
    assert "Variant B has a text for a channel but no share text." in response.content.decode()
    assert not Message.objects.exists()


def test_a_link_to_a_page_the_site_does_not_have_is_refused(client_as, owner, initiative):
    response = client_as(owner).post(
        f"/outreach/{initiative.slug}/new/",
        {"title": "Typo", "target": "/initiatves/clean-water/", "text_a": "Hi", "text_b": "", "text_c": ""},
    )
    assert response.status_code == 200
    assert "There is no page at /initiatves/clean-water/ on this site." in response.content.decode()
    assert not Message.objects.exists()


def test_a_message_that_was_sent_is_not_deleted(
    client_as, owner, initiative, message, django_capture_on_commit_callbacks
):
    client = client_as(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/outreach/{initiative.slug}/m/{message.pk}/send/", {"variant": "A", "medium": "email"})
    assert (
        "Delete this message"
        not in client.get(f"/outreach/{initiative.slug}/m/{message.pk}/").content.decode()
    )
    refused = client.post(f"/outreach/{initiative.slug}/m/{message.pk}/delete/", follow=True)
    assert "used, or sent to them" in refused.content.decode()
    assert Message.objects.filter(pk=message.pk).exists()
