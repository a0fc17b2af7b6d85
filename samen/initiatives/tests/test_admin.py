"""The admin pages for initiatives, follows and updates load, filter and search."""

import pytest
from django.urls import reverse

from samen.initiatives.models import Update
from samen.people.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    client.force_login(Member.objects.create_superuser(email="admin@example.org", password="x"))
    return client


@pytest.mark.parametrize("model", ["initiative", "follow", "update"])
def test_the_changelists_load_and_search(admin_client_, initiative, owner, model):
    Update.objects.create(initiative=initiative, author=owner, title="News", body="Text")
    url = reverse(f"admin:initiatives_{model}_changelist")

    assert admin_client_.get(url).status_code == 200
    response = admin_client_.get(url, {"q": "kibera"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_the_initiative_page_shows_its_team_inline(admin_client_, initiative):
    response = admin_client_.get(reverse("admin:initiatives_initiative_change", args=[initiative.pk]))

    assert response.status_code == 200
    assert b"Tom Team" in response.content or b"tom@example.org" in response.content
