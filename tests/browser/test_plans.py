"""Journey: a crowdsourced plan, end to end, and every plans page with JavaScript off.

1. The owner imports a Markdown plan; its headings become nested sections.
2. A member reacts on a section.
3. The owner answers it from the team's "to answer" queue.
4. The member sees the answer on the page (and has it by e-mail).
5. The member suggests an edit, the owner accepts it, and the new version's diff shows the change.
axe checks every page on the way.
"""

import re

import pytest
from playwright.sync_api import expect

from samen.plans import actions
from samen.plans.models import Plan, Reaction, Suggestion

from .checks import assert_useful_without_javascript
from .harness import check_a11y, visit

pytestmark = pytest.mark.browser

MARKDOWN = """\
Water for every street.

# Money
## Budget
Expertise wanted: finance

Pipes cost KES 40,000.
# Building
Who digs.
"""


def test_the_whole_loop_of_a_crowdsourced_plan(browsing, owner, member, initiative, mailoutbox):
    team = browsing.new_page(member=owner)
    visit(team, f"/initiatives/{initiative.slug}/")
    team.get_by_role("link", name="Plan and questions").click()
    expect(team.get_by_role("heading", level=1)).to_contain_text("Plans and questions")
    check_a11y(team)
    team.get_by_role("link", name="Write or import a plan").click()
    check_a11y(team)

    # 1. Import a Markdown plan.
    team.get_by_label("Title").fill("Water plan")
    team.get_by_label("Import the plan from Markdown").fill(MARKDOWN)
    team.get_by_role("button", name="Create the plan").click()
    expect(team.get_by_role("heading", level=1)).to_have_text("Water plan")
    check_a11y(team)
    plan = Plan.objects.get()
    expect(team.get_by_role("heading", name="1.1 Budget", level=3)).to_be_visible()
    expect(team.get_by_role("heading", name="2 Building", level=2)).to_be_visible()

    # 2. A member reacts.
    mia = browsing.new_page(member=member)
    visit(mia, plan.get_absolute_url())
    mia.get_by_role("link", name=re.compile("reactions on “Budget”")).click()
    expect(mia.get_by_role("heading", level=1)).to_have_text("Budget")
    check_a11y(mia)
    mia.get_by_label("Your reaction").fill("Pipes are cheaper in Nakuru.")
    mia.get_by_role("button", name="Post the reaction").click()
    expect(mia.get_by_text("Your reaction is posted")).to_be_visible()
    check_a11y(mia)
    reaction = Reaction.objects.get()
    assert reaction.author == member and reaction.state == "open"

    # 3. The owner answers it from the queue.
    visit(team, f"/plans/initiative/{initiative.slug}/to-answer/")
    team.get_by_role("link", name="Answer Mia Member").click()
    check_a11y(team)
    team.get_by_label("Adopted: we use it in the plan").check()
    team.get_by_label("Answer text").fill("Good tip: we will buy there.")
    team.get_by_role("button", name="Send the answer").click()
    expect(team.get_by_text("Nothing to answer. Well done.")).to_be_visible()
    check_a11y(team)

    # 4. The reactor sees the answer, on the page and by e-mail.
    mia.reload()
    expect(mia.get_by_text("Good tip: we will buy there.")).to_be_visible()
    expect(mia.locator(f"#reaction-{reaction.pk}").get_by_text("Adopted", exact=True)).to_be_visible()
    check_a11y(mia)
    assert any("Good tip: we will buy there." in m.body for m in mailoutbox if m.to == [member.email])
    visit(mia, plan.get_absolute_url())
    expect(mia.get_by_text("answered 1 of 1")).to_be_visible()

    # 5. A suggested edit is accepted: a new version with a visible diff.
    mia.get_by_role("link", name=re.compile("reactions? on “Budget”")).click()
    check_a11y(mia)
    mia.get_by_role("link", name="Suggest a better text for this section").click()
    check_a11y(mia)
    mia.get_by_label("Your text for this section").fill("Pipes cost KES 35,000 in Nakuru.")
    mia.get_by_role("button", name="Send the suggestion").click()
    expect(mia.get_by_text("The team will look at your suggestion")).to_be_visible()
    check_a11y(mia)

    visit(team, mia.url.replace(browsing.base_url, ""))
    team.get_by_role("button", name="Accept the suggestion by Mia Member").click()
    expect(team.get_by_text("The plan is now at version 2.")).to_be_visible()
    check_a11y(team)
    assert Suggestion.objects.get().state == "accepted"
    team.get_by_role("link", name="See the change (version 2)").click()
    expect(team.get_by_role("heading", level=1)).to_contain_text("changes from version 1 to 2")
    check_a11y(team)
    expect(team.locator("del")).to_contain_text("Pipes cost KES 40,000.")
    expect(team.locator("ins")).to_contain_text("Pipes cost KES 35,000 in Nakuru.")
    visit(team, f"/plans/{plan.pk}/history/")
    expect(team.get_by_text("Accepted a suggestion by Mia Member")).to_be_visible()


@pytest.fixture
def plan_site(owner, member, initiative):
    plan = actions.create_plan(initiative, owner, title="Water plan", markdown=MARKDOWN)
    budget = plan.sections.get(heading="Budget")
    reaction = actions.add_reaction(budget, member, "Pipes are cheaper in Nakuru.")
    actions.answer_reaction(reaction, owner, state="answered", answer="Thanks, noted.")
    open_one = actions.add_reaction(budget, member, "And taps?")
    actions.accept(actions.propose(budget, member, body="Pipes cost KES 35,000."), owner)
    question = actions.ask(initiative, owner, text="Where next?", choices=["Soweto", "Gatwekera"])
    actions.answer_question(question, member, choice=0)
    return {
        "people": {"owner": owner, "member": member},
        "values": {
            "slug": initiative.slug,
            "plan": plan.pk,
            "section": budget.pk,
            "reaction": open_one.pk,
            "question": question.pk,
        },
    }


PAGES = [
    (None, "/plans/initiative/{slug}/", "Water plan"),
    (None, "/plans/{plan}/", "answered 1 of 2"),
    (None, "/plans/sections/{section}/", "Thanks, noted."),
    (None, "/plans/{plan}/history/", "Version 2"),
    (None, "/plans/{plan}/history/1/", "Pipes cost KES 40,000."),
    (None, "/plans/{plan}/diff/?from=1&to=2", "Pipes cost KES 35,000."),
    (None, "/plans/questions/{question}/", "Soweto"),
    ("member", "/plans/sections/{section}/", "Post the reaction"),
    ("member", "/plans/sections/{section}/suggest/", "Send the suggestion"),
    ("member", "/plans/questions/{question}/", "Send my answer"),
    ("owner", "/plans/initiative/{slug}/new/", "Create the plan"),
    ("owner", "/plans/initiative/{slug}/to-answer/", "And taps?"),
    ("owner", "/plans/initiative/{slug}/ask/", "Ask the question"),
    ("owner", "/plans/reactions/{reaction}/answer/", "Send the answer"),
    ("owner", "/plans/{plan}/sections/new/", "Add the section"),
    ("owner", "/plans/sections/{section}/edit/", "Save the section"),
    ("owner", "/plans/sections/{section}/", "Invite members with this expertise"),
    ("owner", "/plans/questions/{question}/", "Close the question"),
]


# The pages of one person share a test and a page: a browser test's database is emptied after it,
# which takes longer than a page. Each page is checked as if it were a test of its own.
GROUPS = sorted({who or "anonymous" for who, *_ in PAGES})


@pytest.mark.parametrize("group", GROUPS)
def test_plans_pages_are_useful_without_javascript(browsing, plan_site, group):
    who = None if group == "anonymous" else group
    page = browsing.new_page(javascript=False, member=plan_site["people"][who] if who else None)
    problems = []

    for person, path, text in PAGES:
        if person != who:
            continue
        try:
            visit(page, path.format(**plan_site["values"]))
            assert_useful_without_javascript(page, text)
        except AssertionError as problem:
            problems.append(f"{path}:\n{problem}")

    assert not problems, "\n\n".join(problems)


def test_reacting_and_answering_work_without_javascript(browsing, plan_site, member, owner):
    # The section page as a member, and the answer form and the queue as the owner, are all in PAGES.
    checked_in = "test_plans_pages_are_useful_without_javascript"
    values = plan_site["values"]
    page = browsing.new_page(javascript=False, member=member, axe_checked_in=checked_in)
    visit(page, f"/plans/sections/{values['section']}/")
    page.get_by_label("Your reaction").fill("Posted with JavaScript off.")
    page.get_by_role("button", name="Post the reaction").click()
    expect(page.get_by_text("Posted with JavaScript off.")).to_be_visible()
    check_a11y(page)
    reaction = Reaction.objects.get(body="Posted with JavaScript off.")

    team = browsing.new_page(javascript=False, member=owner, axe_checked_in=checked_in)
    visit(team, f"/plans/reactions/{reaction.pk}/answer/")
    team.get_by_label("Answer text").fill("Answered without script.")
    team.get_by_role("button", name="Send the answer").click()
    expect(team.get_by_role("heading", level=1)).to_contain_text("Reactions to answer")
    check_a11y(team)
    reaction.refresh_from_db()
    assert reaction.state == "answered" and reaction.answer == "Answered without script."
