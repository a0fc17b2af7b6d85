"""Plan fixtures on top of the root conftest's people (Olga owner, Tom team, Mia member, Otto outsider)."""

import pytest

from samen.plans import actions

PLAN_MARKDOWN = """\
We want a water point in every street of Kibera.

# Money
How we pay for it.
## Budget
Expertise wanted: finance, bookkeeping

Pipes cost KES 40,000.
## Fundraising
Local savings groups.
# Building
Expertise wanted: plumbing
Who digs, who builds.
"""


@pytest.fixture
def plan(initiative, owner):
    return actions.create_plan(initiative, owner, title="Water plan", markdown=PLAN_MARKDOWN)


@pytest.fixture
def sections(plan):
    return {section.heading: section for section in plan.sections.all()}


@pytest.fixture
def budget(sections):
    return sections["Budget"]
