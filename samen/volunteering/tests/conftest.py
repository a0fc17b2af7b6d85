import pytest

from samen.messaging import router
from samen.volunteering import actions, sms
from samen.volunteering.models import Opportunity, Participation


@pytest.fixture(autouse=True)
def _keywords():
    """Other apps' tests may unregister JOIN/HOURS; make sure ours are the ones registered."""
    for word, handler in (("JOIN", sms.handle_join), ("HOURS", sms.handle_hours)):
        router.unregister_keyword(word)
        router.register_keyword(word, handler)
    yield


@pytest.fixture
def opportunity(initiative, owner):
    return actions.save_opportunity(
        Opportunity(
            initiative=initiative,
            code="TRAN1",
            title="Traduire nos affiches en néerlandais",
            description="Traduction des affiches sur l'eau potable du français vers le néerlandais.",
            skills=["traduction", "néerlandais"],
            languages=["fr", "nl"],
            hours_needed=4,
            places_available=2,
            created_by=owner,
        )
    )


@pytest.fixture
def accepted(opportunity, member):
    participation, _created = actions.apply(opportunity, member, motivation="I speak both.")
    return actions.decide(participation, opportunity.created_by, accept=True)


@pytest.fixture
def participation_of():
    def get(opportunity, member):
        return Participation.objects.get(opportunity=opportunity, member=member)

    return get
