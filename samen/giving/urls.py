"""Giving pages, under /give/."""

from django.urls import path

from . import outreach, views

app_name = "giving"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign"),
    path("campaigns/<slug:slug>/leaderboard/", views.leaderboard, name="leaderboard"),
    path("campaigns/<slug:slug>/join/", views.join, name="join"),
    path("campaigns/<slug:slug>/manage/", views.campaign_manage, name="campaign_manage"),
    path("campaigns/<slug:slug>/results.csv", views.results_csv, name="results_csv"),
    path("campaigns/<slug:slug>/promoters/<int:pk>/", views.promoter_page, name="promoter"),
    path("campaigns/<slug:slug>/promoters/<int:pk>/qr.svg", views.promoter_qr, name="promoter_qr"),
    path("campaigns/<slug:slug>/outreach/", outreach.overview, name="outreach_overview"),
    path("campaigns/<slug:slug>/outreach/new/", outreach.message_new, name="outreach_message_new"),
    path("campaigns/<slug:slug>/outreach/<int:pk>/", outreach.message_detail, name="outreach_message"),
    path(
        "campaigns/<slug:slug>/outreach/<int:pk>/edit/", outreach.message_edit, name="outreach_message_edit"
    ),
    path(
        "campaigns/<slug:slug>/outreach/<int:pk>/delete/",
        outreach.message_delete,
        name="outreach_message_delete",
    ),
    path(
        "campaigns/<slug:slug>/outreach/<int:pk>/send/", outreach.message_send, name="outreach_message_send"
    ),
    path(
        "campaigns/<slug:slug>/outreach/<int:pk>/export.csv",
        outreach.message_csv,
        name="outreach_message_csv",
    ),
    path(
        "campaigns/<slug:slug>/outreach/<int:pk>/share/",
        outreach.message_share,
        name="outreach_message_share",
    ),
    path("webhooks/<str:kind>/", views.webhook, name="webhook"),
    path("donations/<uuid:public_id>/", views.donation_status, name="donation"),
    path("donations/<uuid:public_id>/stop/", views.stop_monthly, name="stop_monthly"),
    path("pledges/confirm/<str:token>/", views.confirm_pledge, name="confirm_pledge"),
    path("to/<slug:slug>/", views.give, name="give"),
    path("to/<slug:slug>/goal/", views.goal_edit, name="goal"),
    path("to/<slug:slug>/donations/", views.donations, name="donations"),
    path("to/<slug:slug>/donations.csv", views.donations_csv, name="donations_csv"),
    path("to/<slug:slug>/donations/<int:pk>/<str:action>/", views.donation_action, name="donation_action"),
]
