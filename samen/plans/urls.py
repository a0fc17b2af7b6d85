"""Plans pages, under /plans/."""

app_name = "plans"
urlpatterns: list = []
