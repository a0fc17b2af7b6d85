import pytest

from samen.outreach import demo
from samen.outreach.models import Conversion, DailyCount, Message, Touch

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_once_and_counts_add_up(initiative, owner):
    created = demo.seed({owner.email: owner}, {initiative.slug: initiative})

    assert created > 100
    assert demo.seed({owner.email: owner}, {initiative.slug: initiative}) == 0
    message = Message.objects.get(title=demo.DEMO_TITLE)
    assert (
        sum(DailyCount.objects.filter(message=message).values_list("clicks", flat=True))
        == Touch.objects.count()
    )
    assert Conversion.objects.filter(message=message).exists()
