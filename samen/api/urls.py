from django.urls import path

from . import views

app_name = "tokens"
urlpatterns: list = []
