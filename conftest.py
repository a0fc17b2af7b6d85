"""Fixtures every test can use: named people around one initiative, and fast settings.

The people are the privacy matrix: owner, team member, member (follows the initiative),
outsider (signed in, unrelated) and anonymous.
"""

from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from samen.core.cache import fragments
from samen.initiatives.models import Follow, Initiative, TeamMember
from samen.people.models import Member
from samen.reports.models import Category, Report, ReportMap

PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only
TEST_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-shared"},
    "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-fragments"},
}


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
    # Throttles count in process memory here, with limits no test reaches: every test posts from
    # 127.0.0.1 and starts from zero. The throttle tests put the shared caches back and set tight
    # limits (samen/core/tests/throttling.py).
    settings.CACHES = TEST_CACHES
    settings.SAMEN_THROTTLES = dict.fromkeys(settings.SAMEN_THROTTLES, "100000/m")
    # Counting in memory is what these tests want; commands run here must not refuse it (production's
    # shared cache is checked in samen/core/tests/test_shared_cache.py).
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003"]
    # Each test's database is rolled back; what a test cached about its rows must go with it.
    cache.clear()
    fragments.clear()


# The caches production uses: throttles count in the shared database cache (without REDIS_URL).
SHARED_CACHES = {
    **TEST_CACHES,
    "default": {"BACKEND": "samen.core.cache.DatabaseCache", "LOCATION": "samen_cache"},
}


@pytest.fixture
def throttles(settings, db):
    """Throttles as in production without Redis, on the database cache; call it with tight limits.

    `throttles(donate="2/h")` sets those limits (the others stay out of reach). The clock stands
    still, so no window ends in the middle of a test.
    """
    settings.CACHES = SHARED_CACHES

    def tighten(**limits):
        settings.SAMEN_THROTTLES = {**settings.SAMEN_THROTTLES, **limits}

    with time_machine.travel(timezone.now(), tick=False):
        yield tighten
    cache.clear()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """The providers' stand-in (pytest-httpserver) listens on 127.0.0.1, by address."""
    return ("127.0.0.1", 0)


@pytest.fixture
def httpserver(httpserver, settings):
    """pytest-httpserver's server, which core.http may reach: loopback is refused unless allowed."""
    settings.SAMEN_HTTP_ALLOWED_HOSTS = [httpserver.host]
    return httpserver


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


# Crowd reports: a map on the shared initiative, its categories and a reviewer. The reports
# privacy matrix is coordinator (owner or team), reviewer (named on the map), member, outsider, anonymous.


@pytest.fixture
def reviewer(db):
    return make_member("rita@example.org", "Rita Reviewer")


@pytest.fixture
def report_map(initiative, reviewer):
    item = ReportMap.objects.create(
        initiative=initiative,
        slug="kibera-water-reports",
        title="Water problems in Kibera",
        description="Tell us where water points are broken or unsafe.",
        default_latitude=Decimal("-1.3133"),
        default_longitude=Decimal("36.7880"),
        default_zoom=13,
        channels=["web", "sms", "email", "api", "import"],
        sms_keyword="MAJI",
        sms_number="+254700000001",
        email_address="reports@samen.example",
        auto_reply="Thank you. Your report number is {number}.",
    )
    item.reviewers.add(reviewer)
    return item


@pytest.fixture
def categories(report_map):
    urgent = Category.objects.create(
        report_map=report_map,
        title="Emergency",
        translations={"fr": "Urgences", "nl": "Noodgeval"},
        colour="#a4161a",
    )
    broken = Category.objects.create(
        report_map=report_map,
        parent=urgent,
        title="Broken water point",
        translations={"fr": "Point d'eau cassé"},
    )
    unsafe = Category.objects.create(report_map=report_map, title="Unsafe water", colour="#1a4fd6")
    return {"urgent": urgent, "broken": broken, "unsafe": unsafe}


@pytest.fixture
def map_people(people, reviewer):
    """The reports privacy matrix, by role name; anonymous is None."""
    return {
        "coordinator": people["owner"],
        "team": people["team"],
        "reviewer": reviewer,
        "member": people["member"],
        "outsider": people["outsider"],
        "anonymous": None,
    }


@pytest.fixture
def make_report(report_map):
    def make(**fields):
        fields.setdefault("title", "Water point broken")
        fields.setdefault("description", "The tap at the school is broken. Call me on +254 712 345 678.")
        fields.setdefault("latitude", Decimal("-1.3130"))
        fields.setdefault("longitude", Decimal("36.7870"))
        fields.setdefault("reporter_contact", "+254712345678")
        return Report.objects.create(report_map=report_map, **fields)

    return make
