"""Checks that several browser tests make of a page: useful with JavaScript off, and reflow at 320 px."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .harness import check_a11y_settled, state_of

NARROW = {"width": 320, "height": 640}

# htmx attributes that make a request; each must have a plain HTML way to do the same.
HTMX_REQUESTS = "[hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete], [data-hx-get], [data-hx-post]"
WORKS_WITHOUT_JS = (
    """(el) => !!(el.closest('form[action]') || (el.tagName === 'A' && el.getAttribute('href')))"""
)


def assert_useful_without_javascript(page: Page, text: str) -> None:
    """One non-empty h1, real content in <main> holding `text`, and no control that needs script."""
    assert page.evaluate("typeof window.htmx") == "undefined", "JavaScript ran in a context that has it off"
    assert page.title().strip()
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("h1").inner_text().strip()
    main_text = page.locator("main").inner_text()
    assert len(main_text.split()) >= 8, f"<main> says too little without JavaScript: {main_text!r}"
    assert text in main_text, f"{text!r} is not in <main>: {main_text!r}"
    needs_js = [
        element.evaluate("(el) => el.outerHTML.slice(0, 200)")
        for element in page.locator(HTMX_REQUESTS).all()
        if not element.evaluate(WORKS_WITHOUT_JS)
    ]
    assert not needs_js, f"controls that only work with JavaScript: {needs_js}"
    assert not page.locator("[onclick], [onchange], [onsubmit], a[href^='javascript:']").count()


def assert_reflows(page: Page, where: str) -> None:
    """Nothing sticks out past the viewport's width (WCAG 2.2, 1.4.10 Reflow)."""
    width = page.viewport_size["width"] if page.viewport_size else NARROW["width"]
    too_wide = page.evaluate(
        """(width) => {
          // Cut off by a box that itself fits (a map's tiles inside the map): nothing to scroll to.
          const clipped = (el) => {
            for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
              const style = getComputedStyle(box);
              if (['hidden', 'clip'].includes(style.overflowX)) {
                return box.getBoundingClientRect().right <= width + 1;
              }
            }
            return false;
          };
          return [...document.querySelectorAll('body *')]
            // A data table or a code block may scroll sideways (the exception in 1.4.10); nothing else may.
            .filter((el) => !el.closest('table, pre'))
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .filter((el) => !clipped(el))
            .map((el) => `${Math.round(el.getBoundingClientRect().right)}px: ${el.outerHTML.slice(0, 120)}`);
        }""",
        width,
    )
    assert not too_wide, f"wider than {width}px on {where}:\n" + "\n".join(too_wide[:5])


def open_the_map(page: Page, path: str) -> None:
    """Open a report map page and wait until its script has drawn what clusters.json answered and
    swapped in the list for the view; then run axe on that, the page as a person finds it."""
    url = state_of(page).browsing.base_url + path
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    wait_for_the_map(page)


def wait_for_the_map(page: Page) -> None:
    """Wait for a report map page that has just loaded to settle, and run axe on it."""
    expect(page.locator("#map-status")).not_to_be_empty()
    expect(page.locator("#report-list")).not_to_have_attribute("aria-busy", "true")
    check_a11y_settled(page)
