"""Keyboard use: the first Tab reaches a visible skip link, which moves focus to the content."""

import pytest
from playwright.sync_api import expect

from .harness import check_a11y, visit

pytestmark = pytest.mark.browser


def test_the_skip_link_comes_first_and_jumps_to_the_content(page, initiative):
    visit(page, f"/initiatives/{initiative.slug}/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 1 and box["height"] > 1, (
        f"hidden when focused: {box}"
    )

    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    check_a11y(page)
