"""Properties over many generated inputs: the API answers every input with JSON, never a crash."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

FIXTURES_OK = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURES_OK
@given(q=st.text(max_size=60))
def test_any_search_text_gets_a_json_answer(initiative, q):
    # FTS5 has its own query syntax; nothing a person types may reach it as an operator.
    response = ApiClient().get("/api/initiatives", {"q": q})
    if "\x00" in q:
        # PostgreSQL cannot hold a NUL character; the form refuses it before any query runs.
        assert response.status_code == 400, (q, response.content)
        assert "q" in response.json()["errors"]
    else:
        assert response.status_code == 200, (q, response.content)
        assert isinstance(response.json()["items"], list)


@FIXTURES_OK
@given(
    latitude=st.floats(allow_nan=False, allow_infinity=False, min_value=-1000, max_value=1000),
    longitude=st.floats(allow_nan=False, allow_infinity=False, min_value=-1000, max_value=1000),
)
def test_coordinates_are_accepted_exactly_when_on_earth(outsider, latitude, longitude):
    payload = {
        "title": "Somewhere",
        "summary": "A place.",
        "place": {"name": "Here", "latitude": latitude, "longitude": longitude},
    }
    response = ApiClient(outsider).post("/api/initiatives", payload)
    on_earth = -90 <= round(latitude, 6) <= 90 and -180 <= round(longitude, 6) <= 180
    assert response.status_code == (201 if on_earth else 400), (latitude, longitude, response.content)
    if on_earth:
        place = response.json()["place"]
        assert place["latitude"] == pytest.approx(latitude, abs=1e-6)
        assert place["longitude"] == pytest.approx(longitude, abs=1e-6)
