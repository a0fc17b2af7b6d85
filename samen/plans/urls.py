"""Plans pages, under /plans/."""

from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("initiative/<slug:slug>/", views.initiative_plans, name="initiative"),
    path("initiative/<slug:slug>/new/", views.plan_create, name="create"),
    path("initiative/<slug:slug>/to-answer/", views.queue, name="queue"),
    path("initiative/<slug:slug>/ask/", views.question_create, name="ask"),
    path("<int:pk>/", views.plan_page, name="plan"),
    path("<int:pk>/sections/new/", views.section_add, name="section_add"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/history/<int:number>/", views.version_page, name="version"),
    path("<int:pk>/diff/", views.diff, name="diff"),
    path("sections/<int:pk>/", views.section_page, name="section"),
    path("sections/<int:pk>/edit/", views.section_edit, name="section_edit"),
    path("sections/<int:pk>/react/", views.react, name="react"),
    path("sections/<int:pk>/suggest/", views.suggest, name="suggest"),
    path("sections/<int:pk>/invite/", views.invite, name="invite"),
    path("suggestions/<int:pk>/<str:decision>/", views.suggestion_decide, name="decide"),
    path("reactions/<int:pk>/answer/", views.answer, name="answer"),
    path("reactions/<int:pk>/due/", views.due, name="due"),
    path("questions/<int:pk>/", views.question_page, name="question"),
    path("questions/<int:pk>/open-or-close/", views.question_toggle, name="question_toggle"),
]
