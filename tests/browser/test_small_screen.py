"""On a 320-pixel-wide screen (WCAG 2.2, 1.4.10 Reflow) pages fit without scrolling sideways."""

import pytest

from .checks import NARROW, assert_reflows
from .harness import visit

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


# The pages of one person share a test and a page: a browser test's database is emptied after it,
# which takes longer than a page. Each page is checked as if it were a test of its own.
GROUPS = sorted({who or "anonymous" for who, _ in PAGES})


@pytest.mark.parametrize("group", GROUPS)
def test_the_pages_reflow_on_a_narrow_screen(browsing, owner, initiative, group):
    who = None if group == "anonymous" else group
    page = browsing.new_page(viewport=NARROW, member=owner if who == "owner" else None)
    problems = []

    for person, path in PAGES:
        if person != who:
            continue
        try:
            visit(page, path.format(slug=initiative.slug))
            assert_reflows(page, path)
        except AssertionError as problem:
            problems.append(f"{path}:\n{problem}")

    assert not problems, "\n\n".join(problems)
