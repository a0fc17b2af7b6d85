"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

- One Chromium per test module and xdist worker (see `chromium` below for why not per session).
- A fresh browser context per page, so cookies never leak between tests.
- The live server runs in a thread of this process, so the test sees the same settings and the same
  `mail.outbox`, and the root conftest's ImmediateBackend runs tasks during the request.
- Every test here uses the transactional database (live_server asks for it): the server thread
  must see what the test wrote.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from playwright.sync_api import sync_playwright

from conftest import make_member
from samen.reports.models import Category, Report, ReportMap

from .harness import Browsing
from .tiles import BLANK_TILE

CHROMIUM = os.environ.get("SAMEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the tests of a module.

    Playwright's sync API keeps an asyncio loop running on the main thread while it is started.
    Django refuses ORM calls under a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and
    async_to_sync (signals with async receivers, async tasks) refuses to run at all. So the loop
    lives only as long as a browser module: a unit test that xdist schedules after it on the
    same worker runs with no loop and the usual safety check.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium.")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.samen_call_passed = report.passed
    return report


@pytest.fixture
def browsing(request, chromium, live_server):
    harness = Browsing(chromium, live_server.url)
    yield harness
    failures = harness.finish(test_passed=getattr(request.node, "samen_call_passed", False))
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def page(browsing):
    """A page with JavaScript on, signed out."""
    return browsing.new_page()


@pytest.fixture
def nojs_page(browsing):
    """A page with JavaScript off, signed out: what htmx must only ever enhance."""
    return browsing.new_page(javascript=False)


# --- Crowd reports ---------------------------------------------------------------------------------
# The same map, categories and reviewer as samen/reports/tests/conftest.py, made again here because
# pytest shares fixtures down a directory tree only. Like every fixture in this directory they are
# written through the transactional database, so the live server's thread sees them.


@pytest.fixture
def blank_map_tiles(settings):
    """Every map tile is a blank image in the page itself.

    OpenStreetMap would be a request beyond the live server, which the harness blocks and fails.
    A data: URL (rather than a route on the tile host) also holds in the JavaScript twin that the
    harness opens to run axe for a page with JavaScript off, and it has no {z}/{x}/{y}: Leaflet asks
    for the same blank image for every tile.
    """
    settings.SAMEN_MAP_TILES = BLANK_TILE
    return BLANK_TILE


@pytest.fixture
def reviewer(db):
    return make_member("rita@example.org", "Rita Reviewer")


@pytest.fixture
def report_map(initiative, reviewer, blank_map_tiles):
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
def make_report(report_map):
    def make(**fields):
        fields.setdefault("title", "Water point broken")
        fields.setdefault("description", "The tap at the school is broken. Call me on +254 712 345 678.")
        fields.setdefault("latitude", Decimal("-1.3130"))
        fields.setdefault("longitude", Decimal("36.7870"))
        fields.setdefault("reporter_contact", "+254712345678")
        return Report.objects.create(report_map=report_map, **fields)

    return make
