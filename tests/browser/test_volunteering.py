"""Journey: a volunteer signs up with skills, sees a suggestion and why, joins, discusses, logs hours;
the owner accepts and confirms; "my 1%" shows the hours.

The task is written in French; the volunteer's skills are in English. Once with JavaScript on and
once with it off all the way through (every form is a plain POST that redirects). axe checks
every page in the run with JavaScript on; the run with it off shows the same pages to the same
people, so it does not check them again (harness.py, `axe_checked_in`).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from samen.impact.models import Contribution
from samen.people.models import Member
from samen.volunteering import actions
from samen.volunteering.models import Opportunity, Participation, TimeEntry

from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase 42"
TITLE = "Traduire nos affiches en néerlandais"


@pytest.fixture
def french_task(initiative, owner):
    return actions.save_opportunity(
        Opportunity(
            initiative=initiative,
            code="AFFI2",
            title=TITLE,
            description="Traduction des affiches sur l'eau potable du français vers le néerlandais.",
            skills=["traduction", "néerlandais"],
            languages=["fr", "nl"],
            hours_needed=4,
            places_available=3,
            created_by=owner,
        )
    )


def click_and_wait(page: Page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def sign_up_with_skills(page: Page, email: str) -> Member:
    visit(page, "/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Sign up"))
    expect(page).to_have_url(re.compile(r"/people/me/$"))
    page.get_by_label("Skills", exact=True).fill("translation, Dutch")
    page.get_by_label("Languages", exact=True).fill("English, Dutch, French")
    click_and_wait(page, page.get_by_role("button", name="Save my profile"))
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    return Member.objects.get(email=email)


def journey(browsing, owner, task: Opportunity, *, javascript: bool, email: str) -> None:
    axe_checked_in = None if javascript else "test_the_volunteer_journey"
    page = browsing.new_page(javascript=javascript, axe_checked_in=axe_checked_in)
    volunteer = sign_up_with_skills(page, email)

    # 2. A suggestion, with its reason, though the task is in French.
    visit(page, "/volunteer/")
    suggestion = page.locator(".suggestions li").filter(has_text=TITLE)
    expect(suggestion).to_contain_text("matches your skills: Dutch, translation")

    # 3. Join, with a motivation.
    click_and_wait(page, suggestion.get_by_role("link", name=TITLE))
    page.get_by_label("Why you, in a sentence or two (optional)").fill("Ik vertaal graag.")
    click_and_wait(page, page.get_by_role("button", name="Join this task"))
    expect(page.get_by_role("status")).to_contain_text("You applied. The team will answer you.")
    participation = Participation.objects.get(opportunity=task, member=volunteer)

    # The owner accepts.
    owner_page = browsing.new_page(javascript=javascript, member=owner, axe_checked_in=axe_checked_in)
    visit(owner_page, task.get_absolute_url())
    click_and_wait(
        owner_page, owner_page.get_by_role("button", name=f"Accept {volunteer.display_name}", exact=True)
    )
    participation.refresh_from_db()
    assert participation.state == Participation.State.ACCEPTED

    # 4. Discuss.
    visit(page, task.get_absolute_url())
    page.get_by_label("Your message").fill("I will start with the first poster.")
    click_and_wait(page, page.get_by_role("button", name="Send"))
    expect(page.locator("#discussion-section")).to_contain_text("I will start with the first poster.")

    # 5. Log hours.
    click_and_wait(page, page.get_by_role("link", name="Log hours"))
    page.get_by_label("Hours").fill("2")
    page.get_by_label("What you did (optional)").fill("Poster one")
    click_and_wait(page, page.get_by_role("button", name="Log the hours"))
    expect(page.get_by_role("status")).to_contain_text("Your hours are logged.")

    # 6. The owner confirms.
    visit(owner_page, task.get_absolute_url())
    click_and_wait(
        owner_page,
        owner_page.get_by_role("button", name=f"Confirm the hours of {volunteer.display_name}", exact=True),
    )
    expect(owner_page.get_by_role("status")).to_contain_text("Hours confirmed.")
    entry = TimeEntry.objects.get(participation=participation)
    assert entry.state == TimeEntry.State.CONFIRMED
    assert Contribution.objects.get(member=volunteer).minutes == 120

    # 7. "My 1%" shows the hours.
    visit(page, "/volunteer/my-1-percent/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My 1%")
    expect(page.locator("main")).to_contain_text("In the last 12 months: 2")
    expect(page.get_by_role("img", name="Hours given per month against your pledge")).to_be_visible()
    page.get_by_label("Hours a month").fill("1.6")
    page.get_by_label("Currency").fill("EUR")
    click_and_wait(page, page.get_by_role("button", name="Save my pledge"))
    expect(page.get_by_role("status")).to_contain_text("Your pledge is saved.")
    expect(page.locator("main")).to_contain_text("(125%)")

    # The initiative's public impact page counts the volunteer.
    visit(page, f"/volunteer/initiative/{task.initiative.slug}/")
    expect(page.locator(".impact-totals")).to_contain_text("Volunteers")


def test_the_volunteer_journey(browsing, owner, french_task):
    journey(browsing, owner, french_task, javascript=True, email="nadia@example.org")


def test_the_volunteer_journey_without_javascript(browsing, owner, french_task):
    journey(browsing, owner, french_task, javascript=False, email="noor@example.org")


def test_the_team_pages_pass_axe(browsing, owner, french_task, initiative):
    page = browsing.new_page(member=owner)
    visit(page, f"/volunteer/initiative/{initiative.slug}/new/")
    visit(page, f"/volunteer/{french_task.pk}/edit/")
    visit(page, "/volunteer/")
