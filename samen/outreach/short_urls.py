"""Tracked short links: /l/<code> (kept apart so the root URLconf stays short)."""

urlpatterns: list = []
