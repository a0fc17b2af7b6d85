"""The Django admin, as operators use it: every changelist, and the change and add forms of the main models.

Operators run the site from the admin, so it is held to the same bar as the public pages: zero axe
violations (WCAG 2.2 AA) and nothing refused by the Content-Security-Policy. The demo data fills the
lists, so the action bar, the filters and the search box are all on the page. Two tests rather than one,
so that xdist can run them side by side.
"""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from samen.messaging.inbox import receive
from samen.messaging.models import Channel
from samen.people.models import Member

from .harness import visit

pytestmark = pytest.mark.browser

# The models operators open most: their change form (the first row) and their add form are checked.
MAIN_MODELS = [
    "people.member",
    "initiatives.initiative",
    "initiatives.update",
    "reports.reportmap",
    "reports.category",
    "reports.report",
    "messaging.channel",
    "messaging.inboundmessage",
    "messaging.outboundmessage",
    "giving.donation",
    "giving.campaign",
    "volunteering.opportunity",
    "plans.plan",
    "outreach.message",
]


@pytest.fixture
def operator(page, browsing, django_capture_on_commit_callbacks):
    """The demo site, with its administrator signed in on `page`."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    # The demo has no gateway of its own and no text that arrived through one.
    Channel.objects.create(kind="smssync", name="Kibera phone", secret="s3cret")
    receive("smssync", "1", sender="+254700000001", body="Water point 4 is dry", raw='{"secret": "x"}')
    administrator = Member.objects.get(email="admin@samen.example")
    assert administrator.is_superuser
    browsing.log_in(page, administrator)
    return administrator


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def assert_all_accessible(page, paths: list[str]) -> None:
    """Visit every path (axe runs on each) and report every page that fails, not only the first."""
    failures = []
    for path in paths:
        try:
            visit(page, path)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_every_changelist_has_no_axe_violations(page, operator):
    paths = [reverse("admin:index")] + [admin_url(model, "changelist") for model in admin.site._registry]

    assert_all_accessible(page, paths)


def test_the_main_change_and_add_forms_have_no_axe_violations(page, operator):
    paths = []
    for model in admin.site._registry:
        if model._meta.label_lower in MAIN_MODELS:
            first = model._default_manager.order_by("pk").first()
            assert first is not None, f"no {model._meta.label} to open: add one to the fixture"
            paths += [admin_url(model, "change", first.pk), admin_url(model, "add")]
    assert len(paths) == 2 * len(MAIN_MODELS)

    assert_all_accessible(page, paths)
