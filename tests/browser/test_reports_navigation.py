"""Every crowd-reports page can be found by following links, and every one has a way back.

A coordinator manages a map from its settings: the menu there leads to the review queue, the CSV
import and export and the webhooks, and those pages lead back to the map. Checked by clicking,
in the browser; then a crawl with Django's test client (no browser: it only reads links) shows
that each person reaches every page meant for them from the home page.
"""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import Page, expect

from samen.reports.models import Report, Webhook

from .checks import wait_for_the_map
from .harness import check_a11y, visit


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation():
        locator.click()


@pytest.mark.browser
def test_the_map_settings_lead_to_review_csv_and_webhooks_and_back_to_the_map(
    browsing, owner, initiative, report_map
):
    page = browsing.new_page(member=owner)
    map_url = f"/maps/{report_map.slug}/"
    visit(page, f"/initiatives/{initiative.slug}/")
    # The initiative's own maps, not the site menu's index of every map.
    click_and_wait(
        page, page.get_by_role("navigation", name="Take part").get_by_role("link", name="Report maps")
    )
    check_a11y(page)
    click_and_wait(page, page.get_by_role("link", name=f"Manage {report_map.title}"))
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Manage “{report_map.title}”")
    menu = page.get_by_role("navigation", name="Manage this map")
    expect(menu.get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")

    for link, heading in [
        ("Review queue", "Reports to review on"),
        ("Import a CSV file", "Import reports into"),
        ("Download as CSV", "Download the reports of"),
        ("Webhooks", "Webhooks of"),
    ]:
        click_and_wait(
            page, page.get_by_role("navigation", name="Manage this map").get_by_role("link", name=link)
        )
        check_a11y(page)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        back = page.locator("main .back a")
        expect(back).to_have_text("← Back to the map")
        assert back.get_attribute("href") == map_url
        visit(page, f"/maps/{report_map.slug}/manage/")

    click_and_wait(
        page, page.get_by_role("navigation", name="Manage this map").get_by_role("link", name="The map")
    )
    wait_for_the_map(page)
    assert urlsplit(page.url).path == map_url
    actions = page.locator(".map-actions")
    for link in (
        "Send a report",
        "Get new reports by e-mail or SMS",
        "Download the reports as CSV",
        "Review reports",
    ):
        expect(actions.get_by_role("link", name=link)).to_be_visible()


# What each person must be able to reach, by URL name, from the home page.
REACHABLE = {
    None: {"index", "initiative_maps", "map", "report", "detail", "subscribe", "csv_export_page"},
    "reviewer": {
        "index",
        "initiative_maps",
        "map",
        "report",
        "detail",
        "subscribe",
        "csv_export_page",
        "review",
        "review_edit",
    },
    "owner": {
        "index",
        "initiative_maps",
        "create",
        "map",
        "report",
        "detail",
        "subscribe",
        "csv_export_page",
        "review",
        "review_edit",
        "manage",
        "manage_reviewers",
        "manage_categories",
        "manage_category",
        "csv_import",
        "webhooks",
        "webhook",
    },
}
LINK = re.compile(r'<a [^>]*href="([^"]+)"')
# The way from the home page to the initiative, and everything under /maps/.
FOLLOWED = re.compile(r"^(/initiatives/|/initiatives/clean-water-kibera/|/maps/.*)$")
# Links with side effects on GET, or to files rather than pages.
NOT_FOLLOWED = re.compile(r"/unsubscribe/|\.csv$|\.json$|\.geojson$|/evidence/")


def crawl(client: Client, start: str, *, limit: int = 150) -> dict[str, str]:
    """Follow same-site links from `start`; return {reached reports path: the page that linked to it}."""
    seen = {start: ""}
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code == 200, (
            f"{path} (linked from {seen[path] or 'nowhere'}) answered {response.status_code}"
        )
        for href in LINK.findall(response.content.decode()):
            target = urlsplit(href.replace("&amp;", "&")).path
            if not FOLLOWED.match(target) or NOT_FOLLOWED.search(target):
                continue
            if target not in seen:
                seen[target] = path
                queue.append(target)
    return seen


def reports_page_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.url_name if match.namespace == "reports" else None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who",
    [
        pytest.param(None, id="anonymous"),
        pytest.param("reviewer", id="reviewer"),
        pytest.param("owner", id="coordinator"),
    ],
)
def test_every_reports_page_is_reachable_from_the_home_page(
    who, owner, reviewer, report_map, categories, make_report
):
    make_report(status=Report.Status.PUBLISHED)
    make_report(title="Waiting for review")
    Webhook.objects.create(report_map=report_map, url="https://hooks.example.org/samen")
    client = Client()
    if who:
        client.force_login({"reviewer": reviewer, "owner": owner}[who])

    reached = crawl(client, "/")

    names = {reports_page_name(path) for path in reached} - {None}
    assert REACHABLE[who] <= names, f"not reachable: {sorted(REACHABLE[who] - names)}"
