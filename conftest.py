"""Fixtures every test can use: named people around one initiative, and fast settings.

The people are the privacy matrix: owner, team member, member (follows the initiative),
outsider (signed in, unrelated) and anonymous.
"""

import pytest
from django.test import Client

from samen.initiatives.models import Follow, Initiative, TeamMember
from samen.people.models import Member

PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SAMEN_PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ACCOUNT_RATE_LIMITS = False


def make_member(email: str, name: str, **fields) -> Member:
    return Member.objects.create_user(email=email, password=PASSWORD, name=name, **fields)


@pytest.fixture
def owner(db):
    return make_member("olga@example.org", "Olga Owner", skills=["fundraising"], causes=["water"])


@pytest.fixture
def team_member(db):
    return make_member("tom@example.org", "Tom Team", skills=["translation", "Dutch"])


@pytest.fixture
def member(db):
    """Signed in and connected: follows the initiative."""
    return make_member("mia@example.org", "Mia Member", phone="+31612345678", contact_by_sms=True)


@pytest.fixture
def outsider(db):
    return make_member("otto@example.org", "Otto Outsider")


@pytest.fixture
def initiative(owner, team_member, member):
    item = Initiative.objects.create(
        title="Clean water for Kibera",
        slug="clean-water-kibera",
        summary="Water points and hygiene lessons, run by residents.",
        story="We are **residents** of Kibera.",
        causes=["water", "health"],
        place_name="Nairobi",
        status=Initiative.Status.OPEN,
        created_by=owner,
    )
    TeamMember.objects.create(initiative=item, member=owner, role=TeamMember.Role.OWNER)
    TeamMember.objects.create(initiative=item, member=team_member, role=TeamMember.Role.TEAM)
    Follow.objects.create(initiative=item, member=member)
    Initiative.objects.filter(pk=item.pk).update(follower_count=1)
    item.refresh_from_db()
    return item


@pytest.fixture
def make_initiative(owner):
    """Open initiatives owned by `owner`, numbered so that every title and slug differs."""
    counter = iter(range(1, 10_000))

    def make(**fields):
        n = next(counter)
        fields.setdefault("title", f"Initiative number {n}")
        fields.setdefault("slug", f"initiative-{n}")
        fields.setdefault("summary", "A summary.")
        fields.setdefault("status", Initiative.Status.OPEN)
        item = Initiative.objects.create(created_by=owner, **fields)
        TeamMember.objects.create(initiative=item, member=owner, role=TeamMember.Role.OWNER)
        return item

    return make


@pytest.fixture
def people(owner, team_member, member, outsider, initiative):
    """The whole privacy matrix, by role name; anonymous is None."""
    return {"owner": owner, "team": team_member, "member": member, "outsider": outsider, "anonymous": None}


def client_for(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


@pytest.fixture
def client_as():
    return client_for
