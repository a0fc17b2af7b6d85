"""Ask the crowd: choices or free answers, public or private, with a server-side SVG chart."""

import pytest
from django.core.exceptions import ValidationError

from conftest import make_member
from samen.plans import actions
from samen.plans.models import Answer, Question

pytestmark = pytest.mark.django_db


def ask(initiative, owner, **fields):
    fields.setdefault("text", "Where should the next water point go?")
    return actions.ask(initiative, owner, **fields)


def test_the_team_asks_and_followers_and_team_get_it_by_email(
    client_as, owner, team_member, member, initiative, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(owner).post(
            f"/plans/initiative/{initiative.slug}/ask/",
            {
                "text": "Where next?",
                "choices": "Soweto East\nGatwekera\n\nsoweto east",
                "answers_public": "on",
            },
        )
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    assert question.choices == ["Soweto East", "Gatwekera"]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([team_member.email, member.email])
    assert question.get_absolute_url() in mailoutbox[0].body
    question.refresh_from_db()
    assert question.mailed_at is not None
    from samen.plans.tasks import mail_question

    assert mail_question.call(question.pk) == 0  # safe to run twice


def test_a_single_choice_is_refused(initiative, owner):
    with pytest.raises(ValidationError):
        ask(initiative, owner, choices=["Only one"])


def test_members_answer_once_and_can_change_their_answer(client_as, owner, member, initiative):
    question = ask(initiative, owner, choices=["A", "B"])
    client = client_as(member)
    assert client.post(question.get_absolute_url(), {"choice": "0"}).status_code == 302
    assert (
        client.post(question.get_absolute_url(), {"choice": "1", "text": "changed my mind"}).status_code
        == 302
    )
    answer = Answer.objects.get()
    assert (answer.choice, answer.text) == (1, "changed my mind")
    response = client.post(question.get_absolute_url(), {"choice": "7"})
    assert response.status_code == 200 and Answer.objects.get().choice == 1


def test_a_free_answer_needs_text(client_as, owner, member, initiative):
    question = ask(initiative, owner)
    assert client_as(member).post(question.get_absolute_url(), {"text": " "}).status_code == 200
    assert not Answer.objects.exists()
    assert client_as(member).post(question.get_absolute_url(), {"text": "Near the school"}).status_code == 302


def test_anonymous_visitors_are_sent_to_log_in_to_answer(client, owner, initiative):
    question = ask(initiative, owner)
    response = client.post(question.get_absolute_url(), {"text": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Answer.objects.exists()


def test_the_results_are_a_server_side_svg_chart_with_a_table(client, owner, member, outsider, initiative):
    question = ask(initiative, owner, choices=["Soweto East", "Gatwekera"])
    actions.answer_question(question, member, choice=0)
    actions.answer_question(question, outsider, choice=0)
    actions.answer_question(question, owner, choice=1)
    page = client.get(question.get_absolute_url()).content.decode()
    assert '<svg viewBox="0 0 640' in page and 'role="img"' in page
    assert "<title>Soweto East: 2 (67%)</title>" in page
    assert "<title>Gatwekera: 1 (33%)</title>" in page
    assert '<th scope="row">Soweto East</th><td>2</td><td>67%</td>' in page


# --- Privacy of private answers: owner, team, member, outsider, anonymous -----------------------------

SEES_ALL = {"owner": True, "team": True, "member": False, "outsider": False, "anonymous": False}


@pytest.mark.parametrize("role", list(SEES_ALL))
def test_private_answers_are_for_the_team_and_each_sees_their_own(client_as, people, initiative, role):
    question = ask(initiative, people["owner"], choices=["Yes", "No"], answers_public=False)
    secret_person = make_member("sara@example.org", "Sara Secret")
    actions.answer_question(question, secret_person, choice=0, text="My private reason")
    viewer = people[role]
    if viewer is not None:
        actions.answer_question(question, viewer, choice=1, text=f"Answer of {role}")
    page = client_as(viewer).get(question.get_absolute_url()).content.decode()
    assert ("My private reason" in page) == SEES_ALL[role]
    assert ("Sara Secret" in page) == SEES_ALL[role]
    assert ("<svg viewBox" in page) == SEES_ALL[role]  # no chart of private results either
    if viewer is not None:
        assert f"Answer of {role}" in page  # your own answer, always


@pytest.mark.parametrize("role", list(SEES_ALL))
def test_public_answers_are_for_everyone(client_as, people, initiative, role):
    question = ask(initiative, people["owner"], choices=["Yes", "No"], answers_public=True)
    actions.answer_question(question, make_member("sara@example.org", "Sara"), choice=0, text="Open reason")
    page = client_as(people[role]).get(question.get_absolute_url()).content.decode()
    assert "Open reason" in page and "<svg viewBox" in page


def test_questions_of_a_draft_initiative_are_for_its_team(client_as, people, initiative):
    question = ask(initiative, people["owner"])
    initiative.set_status("draft")
    for role, status in {"owner": 200, "team": 200, "member": 404, "outsider": 404, "anonymous": 404}.items():
        assert client_as(people[role]).get(question.get_absolute_url()).status_code == status, role


def test_the_team_closes_and_reopens_a_question(client_as, people, initiative):
    question = ask(initiative, people["owner"])
    path = f"/plans/questions/{question.pk}/open-or-close/"
    for role in ("member", "outsider"):
        assert client_as(people[role]).post(path).status_code == 403
    assert client_as(people["team"]).post(path).status_code == 302
    question.refresh_from_db()
    assert not question.is_open
    response = client_as(people["member"]).post(question.get_absolute_url(), {"text": "late"})
    assert response.status_code == 200 and "This question is closed" in response.content.decode()
    assert not question.answers.exists()
    client_as(people["owner"]).post(path)
    question.refresh_from_db()
    assert question.is_open
