"""initiative_by_slug is hand-written SQL for speed: it must return exactly what the ORM would."""

import pytest
from django.forms.models import model_to_dict
from django.http import Http404

from samen.initiatives.access import initiative_by_slug
from samen.initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def field_values(initiative):
    return {field.attname: getattr(initiative, field.attname) for field in Initiative._meta.concrete_fields}


def test_it_returns_the_same_initiative_as_the_orm_with_every_field_loaded(initiative):
    initiative.latitude, initiative.longitude = "52.092876", "5.104480"
    initiative.save()

    found = initiative_by_slug(initiative.slug)

    assert found.get_deferred_fields() == set()
    assert field_values(found) == field_values(Initiative.objects.get(slug=initiative.slug))
    assert model_to_dict(found) == model_to_dict(Initiative.objects.get(pk=initiative.pk))
    assert found._state.adding is False and found._state.db == "default"


def test_an_unknown_slug_is_404(initiative):
    with pytest.raises(Http404):
        initiative_by_slug("no-such-initiative")


def test_a_slug_is_a_parameter_not_sql(initiative):
    with pytest.raises(Http404):
        initiative_by_slug("x' OR '1'='1")
