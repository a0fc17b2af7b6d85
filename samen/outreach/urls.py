"""Outreach and measurement pages, under /outreach/."""

app_name = "outreach"
urlpatterns: list = []
