"""Outreach and measurement pages, under /outreach/."""

from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/new/", views.message_new, name="message_new"),
    path("<slug:slug>/m/<int:pk>/", views.message_detail, name="message"),
    path("<slug:slug>/m/<int:pk>/edit/", views.message_edit, name="message_edit"),
    path("<slug:slug>/m/<int:pk>/delete/", views.message_delete, name="message_delete"),
    path("<slug:slug>/m/<int:pk>/send/", views.message_send, name="message_send"),
    path("<slug:slug>/m/<int:pk>/export.csv", views.message_csv, name="message_csv"),
    path("<slug:slug>/m/<int:pk>/share/", views.message_share, name="message_share"),
]
