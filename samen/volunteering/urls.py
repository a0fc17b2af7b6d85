"""Volunteering pages, under /volunteer/."""

app_name = "volunteering"
urlpatterns: list = []
