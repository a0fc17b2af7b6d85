"""On a 320-pixel-wide screen (WCAG 2.2, 1.4.10 Reflow) pages fit without scrolling sideways."""

import pytest

from .harness import log_in, visit

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
PAGES = [
    (None, "/"),
    (None, "/initiatives/?q=water"),
    (None, "/initiatives/{slug}/"),
    (None, "/accounts/signup/"),
    (None, "/api/docs"),
    ("owner", "/initiatives/{slug}/"),
    ("owner", "/initiatives/new/"),
    ("owner", "/people/me/"),
    ("owner", "/contributions/"),
    ("owner", "/tokens/"),
]


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{who or 'anonymous'} {path}" for who, path in PAGES])
def test_the_page_reflows_on_a_narrow_screen(browsing, owner, initiative, who, path):
    page = browsing.new_page(viewport=NARROW)
    if who:
        log_in(page, owner)

    visit(page, path.format(slug=initiative.slug))

    too_wide = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
          // A data table or a code block may scroll sideways (the exception in 1.4.10); nothing else may.
          .filter((el) => !el.closest('table, pre'))
          .filter((el) => el.getBoundingClientRect().right > width + 1)
          .map((el) => `${Math.round(el.getBoundingClientRect().right)}px: ${el.outerHTML.slice(0, 120)}`)""",
        NARROW["width"],
    )
    assert not too_wide, f"wider than {NARROW['width']}px on {path}:\n" + "\n".join(too_wide[:5])
