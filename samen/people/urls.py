from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("me/", views.profile_edit, name="profile_edit"),
    path("<int:pk>/", views.profile, name="profile"),
]
