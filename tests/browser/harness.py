"""What every browser test gets: pages that stay on the live server, and an axe check on every page.

A `Browsing` belongs to one test. Each page it opens:

- may only talk to the live server. Any other request (a map tile, a CDN font, analytics) is aborted
  and fails the test, so no test touches the network and no page quietly depends on it;
- fails the test on a JavaScript error, on a console error, or on a same-origin response of 4xx/5xx
  that the test did not ask for (a missing stylesheet, a broken htmx endpoint);
- fails the test when the page's Content-Security-Policy refused anything (an inline script without
  the nonce, a style="" attribute, a resource from another host), as the browser reports it in a
  `securitypolicyviolation` event;
- remembers every document it showed and every htmx swap. Each of those states must have passed
  axe: `check_a11y(page)` checks the current one, and the test's teardown checks the last one and
  fails if an earlier one was never checked. A page whose own script fetches while it loads (the
  report map) is checked once it has settled, with `check_a11y_settled(page)`.

Pages with JavaScript off cannot run axe (the browser runs no script, not even axe's timers), so
their check loads the same URL with the same cookies in a JavaScript-enabled twin page. A journey
that runs once with JavaScript on and once with it off, through the same pages, has those pages
checked by its JavaScript run (`new_page(axe_checked_in=...)`): a twin would check them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, Route, expect

from .axe import axe_violations, describe

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

# Runs in every document before its own scripts; what the browser refuses under the page's CSP is
# handed to the harness (Browsing._on_csp_violation). With JavaScript off nothing here runs; the
# JavaScript twin that runs axe for such a page loads it again and reports for it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.samenCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@dataclass
class Shown:
    """One state of a page that a person could see: a document, or a document after an htmx swap."""

    what: str
    checked: bool = False
    document: bool = False


@dataclass
class PageState:
    browsing: Browsing
    javascript: bool
    shown: list[Shown] = field(default_factory=list)
    expected_statuses: set[tuple[str, int]] = field(default_factory=set)
    document_status: int | None = None
    # With JavaScript off: the JavaScript-enabled page that loads each state again to run axe.
    twin: Page | None = None
    # With JavaScript off: the test that axe-checks these same pages with JavaScript on (see new_page).
    axe_checked_in: str | None = None


def state_of(page: Page) -> PageState:
    state = getattr(page, "_samen_state", None)
    if state is None:
        raise RuntimeError("This page was not opened through the Browsing harness.")
    return state


class Browsing:
    def __init__(self, browser: Browser, base_url: str):
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(self.base_url).netloc
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []
        self.problems: list[str] = []
        self.external_requests: list[str] = []

    # --- opening pages ---------------------------------------------------------------------------

    def new_page(
        self,
        *,
        javascript: bool = True,
        member=None,
        viewport: dict | None = None,
        axe_checked_in: str | None = None,
    ) -> Page:
        """A page in a fresh context.

        `axe_checked_in` is for a journey run twice, once with JavaScript on and once off, through the
        same pages as the same people: it names the JavaScript test, which runs axe on every one of
        those pages. A JavaScript twin (see `check_a11y`) is that same load with JavaScript on, so
        the run with JavaScript off does not load each page a second time to run axe again.
        """
        if axe_checked_in and javascript:
            raise ValueError("axe_checked_in is for pages with JavaScript off: axe runs on the page itself.")
        context = self._new_context(javascript=javascript, viewport=viewport)
        page = context.new_page()
        page._samen_state = PageState(self, javascript, axe_checked_in=axe_checked_in)  # type: ignore[attr-defined]
        page.on("framenavigated", lambda frame: self._on_navigated(page, frame))
        page.on("response", lambda response: self._on_response(page, response))
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("console", lambda message: self._on_console(page, message))
        self.pages.append(page)
        if member is not None:
            self.log_in(page, member)
        return page

    def _new_context(self, *, javascript: bool, viewport=None) -> BrowserContext:
        options = {"viewport": viewport} if viewport else {}
        context = self.browser.new_context(
            base_url=self.base_url,
            java_script_enabled=javascript,
            locale="en-GB",
            **options,
        )
        # Auto-waiting needs seconds on a busy CI machine, not Playwright's default 30.
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._only_the_live_server)
        # Playwright's own bindings and init scripts run whatever the page's CSP says.
        context.expose_binding("samenCspViolation", self._on_csp_violation)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.contexts.append(context)
        return context

    def log_in(self, page: Page, member) -> None:
        """Sign in without the form (the log-in journey tests the form): a real session, as a cookie."""
        client = Client()
        client.force_login(member)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": self.base_url}]
        )

    # --- what the pages do -----------------------------------------------------------------------

    def _only_the_live_server(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == self.origin:
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort("blockedbyclient")

    def _on_navigated(self, page: Page, frame) -> None:
        if frame == page.main_frame and frame.url.startswith(self.base_url):
            state_of(page).shown.append(Shown(frame.url, document=True))

    def _on_response(self, page: Page, response: Response) -> None:
        if urlsplit(response.url).netloc != self.origin:
            return
        state = state_of(page)
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            state.document_status = response.status
        if response.status >= 400 and (response.url, response.status) not in state.expected_statuses:
            self.problems.append(
                f"{response.request.method} {response.url} answered {response.status} "
                f"({response.request.resource_type})"
            )
        if response.request.resource_type in ("xhr", "fetch"):
            # An htmx swap changes what the person sees: that state needs its own axe check.
            state.shown.append(Shown(f"{page.url} after {response.request.method} {response.url}"))

    def _on_csp_violation(self, source: dict, violation: dict) -> None:
        self.problems.append(
            f"Content-Security-Policy violation on {violation['page']}: {violation['directive']} refused "
            f"{violation['blocked'] or 'an inline resource'} ({violation['source']}:{violation['line']}) "
            f"{violation['sample']!r}"
        )

    def _on_console(self, page: Page, message: ConsoleMessage) -> None:
        # A blocked or failing request logs "Failed to load resource"; those are reported above.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error on {page.url}: {message.text}")

    # --- checks ----------------------------------------------------------------------------------

    def check_a11y(self, page: Page) -> None:
        """Run axe on what the page shows now; 0 violations or the test fails."""
        state = state_of(page)
        page.wait_for_load_state("load")
        if state.axe_checked_in:
            # The same page, as the same person, passes axe in that test (new_page).
            violations = []
            where = f"{page.url} (checked with JavaScript on in {state.axe_checked_in})"
        elif state.javascript:
            violations = axe_violations(page)
            where = page.url
        else:
            violations = self._check_in_javascript_twin(page)
            where = f"{page.url} (loaded again with JavaScript on, to run axe)"
        if state.shown:
            state.shown[-1].checked = True
        assert not violations, describe(violations, where)

    def check_a11y_settled(self, page: Page) -> None:
        """Run axe once on a page whose own script fetched and swapped things in while it loaded.

        Nobody acted between the document and those swaps, so no one could use the states in
        between: this one check covers every state since the last navigation. Wait for the page
        to settle first (a locator expectation), or axe sees a half-drawn page.
        """
        self.check_a11y(page)
        shown = state_of(page).shown
        last_document = max((i for i, item in enumerate(shown) if item.document), default=0)
        for item in shown[last_document:]:
            item.checked = True

    def _check_in_javascript_twin(self, page: Page) -> list[dict]:
        """Load what `page` shows again, with JavaScript on and the same cookies, and run axe there.

        One twin page serves every check of a page: a fresh context for each check would start a
        renderer and fetch every stylesheet and script again, and is slower than the check itself.
        Its cookies are replaced by the page's own before each load.
        """
        state = state_of(page)
        if state.twin is None:
            twin_context = self._new_context(javascript=True, viewport=page.viewport_size)
            twin = twin_context.new_page()
            twin.on(
                "pageerror", lambda error: self.problems.append(f"JavaScript error on {twin.url}: {error}")
            )
            state.twin = twin
        twin = state.twin
        twin.context.clear_cookies()
        twin.context.add_cookies(page.context.cookies())
        if urldefrag(twin.url).url == urldefrag(page.url).url:
            twin.goto("about:blank")  # or a URL that differs only in its #fragment would not load again
        response = twin.goto(page.url)
        status = response and response.status
        expected = state.document_status
        assert status == expected, f"{page.url} answered {status} with JavaScript on, {expected} with it off"
        return axe_violations(twin)

    def finish(self, *, test_passed: bool = True) -> list[str]:
        """Check the last state of every page; return everything that went wrong.

        After a failed test the pages are wherever the failure left them: checking them with axe
        would only bury the real failure, so then only the network and error reports are returned.
        """
        failures: list[str] = []
        try:
            if test_passed:
                failures.extend(self._unchecked_states())
            if self.external_requests:
                failures.append(
                    "Pages tried to reach beyond the live server (blocked):\n  "
                    + "\n  ".join(self.external_requests)
                )
            failures.extend(self.problems)
        finally:
            for context in self.contexts:
                context.close()
        return failures

    def _unchecked_states(self) -> list[str]:
        failures = []
        for page in self.pages:
            if page.is_closed():
                continue
            state = state_of(page)
            if state.shown and not state.shown[-1].checked:
                try:
                    self.check_a11y(page)
                except AssertionError as error:
                    failures.append(str(error))
            unchecked = [shown.what for shown in state.shown if not shown.checked]
            if unchecked:
                failures.append(
                    "These page states were shown but never checked with axe "
                    "(call check_a11y(page) after each navigation or htmx swap):\n  " + "\n  ".join(unchecked)
                )
        return failures


# --- helpers the journeys use ---------------------------------------------------------------------


def check_a11y(page: Page) -> None:
    state_of(page).browsing.check_a11y(page)


def check_a11y_settled(page: Page) -> None:
    state_of(page).browsing.check_a11y_settled(page)


def visit(page: Page, path: str, *, status: int = 200) -> Response:
    """Go to a path on the live server, expect `status`, and run axe on what it shows."""
    url = state_of(page).browsing.base_url + path
    if status >= 400:
        state_of(page).expected_statuses.add((url, status))
    response = page.goto(url)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path} answered {response.status}, expected {status}"
    check_a11y(page)
    return response


def log_in(page: Page, member) -> None:
    state_of(page).browsing.log_in(page, member)
