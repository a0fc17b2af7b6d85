"""Giving pages, under /give/."""

app_name = "giving"
urlpatterns: list = []
