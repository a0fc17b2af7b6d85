"""Journey: switch the interface with the footer's language switcher: to Dutch on the initiatives, and
to French on a report map, where a reporter then sends a report in French."""

import pytest
from playwright.sync_api import expect

from samen.reports.models import Report

from .checks import assert_reflows, wait_for_the_map
from .harness import check_a11y, state_of, visit

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


# --- A reporter in French ---------------------------------------------------------------------------

NBSP = "\u00a0"  # French puts a no-break space before ? ! : ;


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def reporter_page(request, browsing):
    checked_in = (
        None if request.param else "test_a_reporter_switches_to_french_and_reports_in_french[javascript]"
    )
    page = browsing.new_page(javascript=request.param, axe_checked_in=checked_in)
    page.set_viewport_size({"width": 360, "height": 740})
    return page


def settle(page):
    if state_of(page).javascript:
        wait_for_the_map(page)
    else:
        check_a11y(page)


def test_a_reporter_switches_to_french_and_reports_in_french(
    reporter_page, report_map, categories, make_report
):
    page = reporter_page
    published = make_report(
        title="Tiyo kase", status=Report.Status.PUBLISHED, primary_category=categories["urgent"]
    )
    published.categories.set([categories["urgent"]])
    page.goto(state_of(page).browsing.base_url + f"/maps/{report_map.slug}/")
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_label("Language").locator("option[value=fr]")).to_have_text("français")
    expect(footer.get_by_label("Language").locator("option[value=ht]")).to_have_text("Kreyòl Ayisyen")

    footer.get_by_label("Language").select_option("fr")
    with page.expect_navigation():
        footer.get_by_role("button", name="Switch").click()

    # The map, in French: the page's language, its words, and the map's own name for the category.
    assert page.url.endswith(f"/maps/{report_map.slug}/")
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(footer.get_by_label("Langue")).to_have_value("fr")
    expect(page.get_by_role("search", name="Filtrer les signalements")).to_be_visible()
    expect(page.get_by_label("Catégorie")).to_contain_text("Urgences")
    expect(page.locator(".legend")).to_contain_text("Urgences")
    expect(page.locator("#report-list")).to_contain_text("Urgences")
    expect(page.locator("#report-list")).not_to_contain_text("Emergency")
    assert_reflows(page, "the map in French")

    with page.expect_navigation():
        page.get_by_role("link", name="Envoyer un signalement").click()
    check_a11y(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Envoyer un signalement")
    expect(page.get_by_role("checkbox", name="Urgences")).to_be_visible()
    assert_reflows(page, "the report form in French")

    # A mistake is explained in French, Django's own words included.
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer le signalement").click()
    check_a11y(page)
    expect(page.locator("main")).to_contain_text("Ce champ est obligatoire.")

    page.get_by_label(f"Que s'est-il passé{NBSP}? (un titre court)").fill("Pa gen dlo")
    page.get_by_label("Racontez-nous").fill("Pa gen dlo depi yè.")
    page.get_by_label(f"Où{NBSP}? (un nom de lieu, une rue ou un repère)").fill("Jakmèl")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer le signalement").click()
    check_a11y(page)

    report = Report.objects.get(report_map=report_map, title="Pa gen dlo")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Merci{NBSP}: votre signalement est bien arrivé"
    )
    expect(page.locator("main")).to_contain_text(f"Votre numéro de signalement est le {report.pk}")
