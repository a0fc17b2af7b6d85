"""Every Samen model is in the admin, with list columns, filters and search."""

import pytest
from django.apps import apps
from django.contrib import admin

SAMEN_APPS = [config for config in apps.get_app_configs() if config.name.startswith("samen.")]
MODELS = [model for config in SAMEN_APPS for model in config.get_models()]


def inlined_models():
    return {
        inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines or []
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_can_be_managed_in_the_admin(model):
    if model in admin.site._registry:
        model_admin = admin.site._registry[model]
        assert len(model_admin.list_display) > 1, f"{model._meta.label} shows only one column"
        assert model_admin.search_fields or model_admin.list_filter, (
            f"{model._meta.label} has no search or filter"
        )
    else:
        assert model in inlined_models(), f"{model._meta.label} is neither registered nor inlined"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [m for m in MODELS if m in admin.site._registry], ids=lambda m: m._meta.label
)
def test_every_changelist_renders_for_staff(admin_client, model):
    from django.urls import reverse

    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url, {"q": "water"} if admin.site._registry[model].search_fields else {})
    assert response.status_code == 200
