"""Inbound gateway endpoints, one per configured Channel: /gateways/<kind>/<channel id>/."""

from django.urls import path

from samen.messaging import views

app_name = "gateways"
urlpatterns = [
    path("smssync/<int:channel_id>/", views.smssync_endpoint, name="smssync"),
    path("frontlinesms/<int:channel_id>/", views.frontlinesms_endpoint, name="frontlinesms"),
    path("twilio/<int:channel_id>/", views.twilio_endpoint, name="twilio"),
    path("africastalking/<int:channel_id>/", views.africastalking_endpoint, name="africastalking"),
    path("inbound_email/<int:channel_id>/", views.inbound_email_endpoint, name="inbound_email"),
]
