"""Updates: the team posts them, anyone who can see the initiative reads them, followers get e-mail."""

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse

from samen.initiatives import actions
from samen.initiatives.models import Initiative, Update
from samen.initiatives.tasks import mail_update, update_mail_key
from samen.messaging.models import OutboundMessage
from samen.people.models import Member

pytestmark = pytest.mark.django_db


def create_url(initiative):
    return reverse("initiatives:update_create", args=[initiative.slug])


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_the_team_posts_an_update_and_followers_get_it_by_e_mail(
    client_as, people, initiative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(people["team"]).post(
            create_url(initiative), {"title": "First well dug", "body": "It gives **200 litres** an hour."}
        )

    update = Update.objects.get()
    assert response.status_code == 302 and response["Location"] == update.get_absolute_url()
    assert update.author == people["team"]
    assert recipients() == ["mia@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Clean water for Kibera: First well dug"
    assert "It gives **200 litres** an hour." in message.body
    assert settings.SITE_URL + update.get_absolute_url() in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>200 litres</strong>" in html
    update.refresh_from_db()
    assert update.mailed_at is not None


def test_running_the_task_again_sends_nothing_new(initiative, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update = actions.post_update(initiative, owner, title="News", body="Text")
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        mail_update.call(update.pk)
    # Even if the run is repeated from scratch (a crash before mailed_at was stamped),
    # the idempotency keys keep each follower at one e-mail.
    Update.objects.filter(pk=update.pk).update(mailed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        mail_update.call(update.pk)

    assert len(mail.outbox) == 1
    assert list(OutboundMessage.objects.values_list("idempotency_key", flat=True)) == [
        update_mail_key(update.pk, Member.objects.get(email="mia@example.org").pk)
    ]


def test_followers_who_turned_off_e_mail_and_the_author_get_none(
    initiative, owner, member, outsider, django_capture_on_commit_callbacks
):
    Member.objects.filter(pk=member.pk).update(contact_by_email=False)
    initiative.follow(outsider)
    initiative.follow(owner)

    with django_capture_on_commit_callbacks(execute=True):
        actions.post_update(initiative, owner, title="News", body="Text")

    assert recipients() == ["otto@example.org"]


def test_updates_on_a_draft_are_not_e_mailed(draft, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        update = actions.post_update(draft, owner, title="Quiet news", body="Text")

    assert callbacks == []
    assert mail.outbox == []
    assert mail_update.call(update.pk) == 0


def test_nothing_is_mailed_if_posting_is_rolled_back(initiative, owner, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        actions.post_update(initiative, owner, title="News", body="Text")
        raise RuntimeError("something later in the request failed")

    assert not Update.objects.exists()
    assert mail.outbox == []


def test_a_long_subject_is_shortened_to_fit_the_outbox(initiative, owner, django_capture_on_commit_callbacks):
    Initiative.objects.filter(pk=initiative.pk).update(title="T" * 140)
    initiative.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        actions.post_update(initiative, owner, title="U" * 140, body="Text")

    assert len(mail.outbox) == 1 and len(mail.outbox[0].subject) <= 200


def test_the_task_ignores_an_update_that_is_gone():
    assert mail_update.call(987654) == 0


def test_bad_input_is_shown_inline_and_kept(client_as, people, initiative):
    response = client_as(people["owner"]).post(create_url(initiative), {"title": "  ", "body": "Typed text"})

    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "Typed text" in response.content.decode()
    assert not Update.objects.exists()


def test_the_update_page_shows_the_update(client, initiative, owner):
    update = Update.objects.create(initiative=initiative, author=owner, title="First well", body="*Done*.")

    response = client.get(update.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1 and "First well" in html and "<em>Done</em>" in html
    assert initiative.get_absolute_url() in html


def test_an_update_is_only_found_under_its_own_initiative(client, initiative, owner, make_initiative):
    other = make_initiative(title="Other")
    update = Update.objects.create(initiative=initiative, author=owner, title="News", body="Text")

    assert client.get(reverse("initiatives:update", args=[other.slug, update.pk])).status_code == 404
