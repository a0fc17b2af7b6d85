"""Every page renders usefully with JavaScript off: htmx only ever enhances.

Each page is loaded in a browser that runs no script at all. It must answer as expected, have one
non-empty h1 and real content in <main>, and offer nothing that only works with JavaScript: every
element that htmx drives sits in a form with an action, or is a link. axe checks each page too
(in a JavaScript-enabled twin, the only place axe can run; see harness.py).

Forms and journeys that post with JavaScript off are in test_follow.py and test_switch_language.py.
The crowd-reports pages have their own list, with their own fixtures, in test_reports_pages.py.
"""

import pytest

from samen.impact import ledger
from samen.impact.models import Contribution
from samen.initiatives.models import Update

from .checks import assert_useful_without_javascript
from .harness import visit

pytestmark = pytest.mark.browser

# (who is signed in, path, expected status, text that shows the page did its job).
# {slug}, {update} and {owner} are filled in from the fixtures.
PAGES = [
    (None, "/", 200, "Clean water for Kibera"),
    (None, "/initiatives/", 200, "Clean water for Kibera"),
    (None, "/initiatives/?q=water", 200, "Clean water for Kibera"),
    (None, "/initiatives/?q=nothing+matches+this&cause=water&status=closed", 200, "No initiatives match"),
    (None, "/initiatives/{slug}/", 200, "The first well is dug"),
    (None, "/initiatives/{slug}/updates/{update}/", 200, "nine days"),
    (None, "/contributions/initiative/{slug}/", 200, "Clean water for Kibera"),
    (None, "/accounts/login/", 200, "Forgot your password?"),
    (None, "/accounts/signup/", 200, "Password (again)"),
    (None, "/accounts/password/reset/", 200, "Email"),
    (None, "/api/docs", 200, "/api/initiatives"),
    (None, "/no-such-page/", 404, "Back to the home page"),
    ("owner", "/initiatives/{slug}/", 200, "Post an update"),
    ("owner", "/initiatives/new/", 200, "Summary"),
    ("owner", "/initiatives/{slug}/edit/", 200, "Edit “Clean water for Kibera”"),
    ("owner", "/initiatives/{slug}/team/", 200, "Tom Team"),
    ("owner", "/initiatives/{slug}/status/", 200, "Status"),
    ("owner", "/initiatives/{slug}/updates/new/", 200, "Post the update"),
    ("owner", "/people/me/", 200, "olga@example.org"),
    ("owner", "/people/{owner}/", 200, "Olga Owner"),
    ("owner", "/contributions/", 200, "Dug the well"),
    ("owner", "/tokens/", 200, "Create a token"),
    ("owner", "/accounts/email/", 200, "olga@example.org"),
    ("owner", "/accounts/password/change/", 200, "Current Password"),
    ("member", "/initiatives/{slug}/", 200, "Unfollow"),
    ("member", "/people/{owner}/", 200, "Olga Owner"),
]


@pytest.fixture
def site(owner, member, initiative):
    update = Update.objects.create(
        initiative=initiative, author=owner, title="The first well is dug", body="It took **nine days**."
    )
    ledger.record(
        kind=Contribution.Kind.TIME,
        initiative=initiative,
        member=owner,
        minutes=90,
        description="Dug the well",
        source="tests.browser",
        source_ref="1",
    )
    return {
        "people": {"owner": owner, "member": member},
        "values": {"slug": initiative.slug, "update": update.pk, "owner": owner.pk},
    }


# A browser test's database is emptied after it, which takes longer than a page: the pages of
# one person share a test (and a page, and its JavaScript twin), and each is checked as if it
# were a test of its own.
GROUPS = sorted({who or "anonymous" for who, *_ in PAGES})


@pytest.mark.parametrize("group", GROUPS)
def test_the_pages_are_useful_without_javascript(browsing, site, group):
    who = None if group == "anonymous" else group
    page = browsing.new_page(javascript=False, member=site["people"][who] if who else None)
    problems = []

    for person, path, status, text in PAGES:
        if person != who:
            continue
        try:
            visit(page, path.format(**site["values"]), status=status)
            assert_useful_without_javascript(page, text)
        except AssertionError as problem:
            problems.append(f"{path}:\n{problem}")

    assert not problems, "\n\n".join(problems)
