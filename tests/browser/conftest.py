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

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread, _MediaFilesHandler
from playwright.sync_api import sync_playwright

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


class OneRequestAtATime(WSGIServer):
    """The live server, answering one request at a time.

    On SQLite the test database lives in memory, so the live server hands every request thread the
    test's own connection; two requests at once (a page and its htmx fetch) then share one sqlite3
    connection and can read each other's rows. Answered in the server's own thread, which already
    uses that connection, they cannot. Django closes each connection after its response when the
    server is not threaded, so the browser never waits on a kept-alive socket.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = OneRequestAtATime

# Django's live server answers MEDIA_URL from MEDIA_ROOT itself, which would hide whether Samen serves
# uploads at all; this passes those requests on to Samen's own route (core.media), as production does.
_MediaFilesHandler._should_handle = lambda self, path: False  # type: ignore[method-assign]


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
# The reports fixtures (report_map, categories, reviewer, make_report) come from the root conftest;
# here the map only gains blank tiles. The live server's thread sees them because browser tests
# use the transactional database.


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
def report_map(report_map, blank_map_tiles):
    """The shared map from the root conftest, with blank tiles so no page reaches OpenStreetMap."""
    return report_map
