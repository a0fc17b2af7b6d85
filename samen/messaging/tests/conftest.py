import pytest

from samen.messaging.gateways import register, unregister
from samen.messaging.tests.fakes import ScriptedGateway, script


@pytest.fixture
def fake_gateway():
    """Registers the scripted gateway as kind "fake"; call `.script(...)` to set outcomes."""
    register("fake")(ScriptedGateway)
    script()
    yield ScriptedGateway
    unregister("fake")
    script()


@pytest.fixture
def staff(db):
    from samen.people.models import Member

    return Member.objects.create_user(email="sam@example.org", password="x", name="Sam Staff", is_staff=True)
