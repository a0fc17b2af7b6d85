from django.urls import path

from . import views

app_name = "initiatives"
urlpatterns = [
    path("", views.initiative_list, name="list"),
    path("new/", views.initiative_create, name="create"),
    path("<slug:slug>/", views.initiative_detail, name="detail"),
    path("<slug:slug>/edit/", views.initiative_edit, name="edit"),
    path("<slug:slug>/status/", views.initiative_status, name="status"),
    path("<slug:slug>/team/", views.team_manage, name="team"),
    path("<slug:slug>/team/<int:pk>/remove/", views.team_remove, name="team_remove"),
    path("<slug:slug>/follow/", views.follow, name="follow"),
    path("<slug:slug>/unfollow/", views.unfollow, name="unfollow"),
    path("<slug:slug>/updates/new/", views.update_create, name="update_create"),
    path("<slug:slug>/updates/<int:pk>/", views.update_detail, name="update"),
]
