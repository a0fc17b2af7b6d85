"""Volunteering pages, under /volunteer/."""

from django.urls import path

from . import views

app_name = "volunteering"
urlpatterns = [
    path("", views.home, name="home"),
    path("my-1-percent/", views.my_one_percent, name="my_one_percent"),
    path("initiative/<slug:slug>/", views.initiative, name="initiative"),
    path("initiative/<slug:slug>/new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("<int:pk>/discussion/", views.comment, name="comment"),
    path("<int:pk>/invite/<int:member_pk>/", views.invite, name="invite"),
    path("participation/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("participation/<int:pk>/decide/", views.decide, name="decide"),
    path("participation/<int:pk>/hours/", views.log_hours, name="log_hours"),
    path("hours/<int:pk>/decide/", views.decide_hours, name="decide_hours"),
]
