from django.urls import path

from . import views

app_name = "impact"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("initiative/<slug:slug>/", views.initiative_totals, name="initiative"),
]
