"""The harness itself: static files load, the network stays shut, and axe really finds faults."""

import pytest
from playwright.sync_api import expect

from .axe import axe_violations
from .harness import check_a11y, visit

pytestmark = pytest.mark.browser


def test_the_stylesheet_and_htmx_load_from_the_live_server(page):
    statuses = {}
    page.on(
        "response", lambda response: statuses.__setitem__(response.url.split("/static/")[-1], response.status)
    )

    visit(page, "/")

    assert statuses.get("samen/samen.css") == 200
    assert statuses.get("vendor/htmx/htmx.min.js") == 200
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("[...document.styleSheets].some((sheet) => sheet.cssRules.length > 0)")


def test_requests_beyond_the_live_server_are_blocked_and_reported(page, browsing):
    visit(page, "/")
    tile = "https://tile.openstreetmap.org/1/1/1.png"

    with page.expect_event("requestfailed") as failed:
        page.evaluate("(src) => { const img = new Image(); img.src = src; }", tile)

    assert failed.value.url == tile
    assert browsing.external_requests == [tile]
    browsing.external_requests.clear()  # reported as expected; the teardown would fail the test otherwise


def test_axe_finds_a_real_violation(page):
    visit(page, "/")
    blank = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
    page.evaluate(
        "(src) => { const img = new Image(); img.src = src; img.id = 'bad'; document.querySelector('main').append(img); }",
        blank,
    )

    ids = {violation["id"] for violation in axe_violations(page)}

    assert "image-alt" in ids
    page.evaluate("document.getElementById('bad').remove()")


def test_javascript_really_is_off_and_the_page_is_still_checked(nojs_page):
    visit(nojs_page, "/")

    assert nojs_page.evaluate("typeof window.htmx") == "undefined"
    check_a11y(nojs_page)


def test_every_page_has_a_strict_content_security_policy(page):
    response = visit(page, "/")

    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "'self'" in directives["style-src"]


def test_what_the_policy_refuses_is_reported(page, browsing):
    visit(page, "/")

    # As a template would if it grew an inline script or a style attribute without the page's nonce.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.append(script);
          const box = document.createElement("div");
          box.innerHTML = '<p style="color: red">styled</p>';
          document.body.append(box);
        }"""
    )

    expect(page.locator("body")).to_contain_text("styled")
    assert page.evaluate("window.ranInline") is None
    refused = [problem for problem in browsing.problems if "Content-Security-Policy violation" in problem]
    assert any("script-src" in problem for problem in refused), browsing.problems
    assert any("style-src" in problem for problem in refused), browsing.problems
    browsing.problems.clear()  # reported as expected; the teardown would fail the test otherwise
