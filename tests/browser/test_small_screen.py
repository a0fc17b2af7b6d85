"""On a 320-pixel-wide screen (WCAG 2.2, 1.4.10 Reflow) pages fit without scrolling sideways."""

import pytest

from .checks import NARROW, assert_reflows
from .harness import log_in, visit

pytestmark = pytest.mark.browser

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

    assert_reflows(page, path)
