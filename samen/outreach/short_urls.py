"""Tracked short links: /l/<code> (kept apart so the root URLconf stays short)."""

from django.urls import path

from . import views

urlpatterns = [path("<str:code>", views.follow, name="outreach_link")]
