"""Journey: switch the interface from English to Dutch with the footer's language switcher."""

import pytest
from playwright.sync_api import expect

from .harness import check_a11y, visit

pytestmark = pytest.mark.browser


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def any_page(request, browsing):
    # Both go through the same pages: axe checks them in the run with JavaScript on.
    checked_in = (
        None if request.param else "test_the_footer_switches_the_page_to_dutch_and_stays_there[javascript]"
    )
    return browsing.new_page(javascript=request.param, axe_checked_in=checked_in)


def test_the_footer_switches_the_page_to_dutch_and_stays_there(any_page, initiative):
    page = any_page
    visit(page, "/initiatives/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer = page.get_by_role("contentinfo")

    footer.get_by_label("Language").select_option("nl")
    with page.expect_navigation():
        footer.get_by_role("button", name="Switch").click()

    # Back on the page it was switched from, now in Dutch.
    assert page.url.endswith("/initiatives/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(footer.get_by_label("Taal")).to_have_value("nl")
    check_a11y(page)

    visit(page, f"/initiatives/{initiative.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
