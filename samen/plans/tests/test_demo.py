"""The demo plan: seeded once, with a reaction answered, an accepted suggestion and a question."""

import pytest

from samen.plans import demo
from samen.plans.models import Plan, Question, Reaction

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_plan_once(people, initiative):
    members = {p.email: p for p in people.values() if p is not None}
    created = demo.seed(members, {initiative.slug: initiative})
    assert created > 10
    plan = Plan.objects.get(title=demo.DEMO_TITLE)
    assert plan.sections.count() == 5 and plan.version == 2
    assert Reaction.objects.filter(state="adopted").count() == 1
    assert Question.objects.get().answers.count() >= 1
    assert demo.seed(members, {initiative.slug: initiative}) == 0
