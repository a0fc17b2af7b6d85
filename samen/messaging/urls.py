from django.urls import path

app_name = "gateways"
urlpatterns: list = []
