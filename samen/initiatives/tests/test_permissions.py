"""The privacy and permission matrix: who may see and change what.

Rows are the named people of the root conftest. Signed-in people who may not even know a draft
exists get 404; those who can see the initiative but may not change it get 403; anonymous
visitors are sent to log in before anything else.
"""

import pytest
from django.urls import reverse

from samen.initiatives.models import Initiative, TeamMember, Update

pytestmark = pytest.mark.django_db
LOGIN = "login"


def expect(response, outcome):
    if outcome == LOGIN:
        assert response.status_code == 302 and reverse("account_login") in response["Location"]
    else:
        assert response.status_code == outcome


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("owner", 200), ("team", 200), ("member", 404), ("outsider", 404), ("anonymous", 404)],
)
def test_a_draft_is_seen_by_its_team_only(client_as, people, draft, who, outcome):
    update = Update.objects.create(initiative=draft, author=people["owner"], title="Hidden", body="Text")
    client = client_as(people[who])

    expect(client.get(draft.get_absolute_url()), outcome)
    expect(client.get(update.get_absolute_url()), outcome)


@pytest.mark.parametrize("who", ["owner", "team", "member", "outsider", "anonymous"])
def test_an_open_initiative_is_seen_by_everyone(client_as, people, initiative, who):
    expect(client_as(people[who]).get(initiative.get_absolute_url()), 200)


@pytest.mark.parametrize(
    ("who", "open_outcome", "draft_outcome"),
    [
        ("owner", 200, 200),
        ("team", 200, 200),
        ("member", 403, 404),
        ("outsider", 403, 404),
        ("anonymous", LOGIN, LOGIN),
    ],
)
@pytest.mark.parametrize("page", ["edit", "update_create"])
def test_editing_and_posting_updates_is_for_the_team(
    client_as, people, initiative, who, open_outcome, draft_outcome, page
):
    client = client_as(people[who])
    url = reverse(f"initiatives:{page}", args=[initiative.slug])

    expect(client.get(url), open_outcome)
    initiative.set_status(Initiative.Status.DRAFT)
    expect(client.get(url), draft_outcome)


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("owner", 302), ("team", 302), ("member", 403), ("outsider", 403), ("anonymous", LOGIN)],
)
def test_only_the_team_posts_updates(client_as, people, initiative, who, outcome):
    response = client_as(people[who]).post(
        reverse("initiatives:update_create", args=[initiative.slug]), {"title": "Hi", "body": "Text"}
    )

    expect(response, outcome)
    assert Update.objects.exists() == (who in {"owner", "team"})


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("owner", 302), ("team", 403), ("member", 403), ("outsider", 403), ("anonymous", LOGIN)],
)
def test_only_an_owner_edits_the_team_or_the_status(client_as, people, initiative, who, outcome):
    client = client_as(people[who])

    expect(
        client.post(
            reverse("initiatives:team", args=[initiative.slug]),
            {"email": "otto@example.org", "role": "owner"},
        ),
        outcome,
    )
    row = TeamMember.objects.get(initiative=initiative, member=people["team"])
    expect(client.post(reverse("initiatives:team_remove", args=[initiative.slug, row.pk])), outcome)
    expect(client.post(reverse("initiatives:status", args=[initiative.slug]), {"status": "closed"}), outcome)

    initiative.refresh_from_db()
    changed = who == "owner"
    assert TeamMember.objects.filter(initiative=initiative, member=people["outsider"]).exists() == changed
    assert TeamMember.objects.filter(pk=row.pk).exists() == (not changed)
    assert (initiative.status == Initiative.Status.CLOSED) == changed


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("owner", 200), ("team", 403), ("member", 403), ("outsider", 403), ("anonymous", LOGIN)],
)
def test_only_an_owner_sees_the_team_and_status_pages(client_as, people, initiative, who, outcome):
    client = client_as(people[who])

    expect(client.get(reverse("initiatives:team", args=[initiative.slug])), outcome)
    expect(client.get(reverse("initiatives:status", args=[initiative.slug])), outcome)


@pytest.mark.parametrize(("who", "outcome"), [("member", 404), ("outsider", 404), ("team", 403)])
def test_the_team_page_of_a_draft_is_hidden_from_those_who_cannot_see_it(
    client_as, people, draft, who, outcome
):
    expect(client_as(people[who]).get(reverse("initiatives:team", args=[draft.slug])), outcome)


def test_an_inactive_member_is_not_treated_as_team(client_as, people, initiative):
    people["team"].is_active = False
    people["team"].save()

    expect(client_as(people["team"]).get(reverse("initiatives:edit", args=[initiative.slug])), LOGIN)
