import pytest

from samen.initiatives.models import Initiative


@pytest.fixture
def other_initiative(owner):
    return Initiative.objects.create(
        title="School garden",
        slug="school-garden",
        summary="Vegetables for the school kitchen.",
        status=Initiative.Status.OPEN,
        created_by=owner,
    )
