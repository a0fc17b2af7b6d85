"""All report URLs live under /maps/. Each view module declares its own patterns."""

from .views import csvio, index, manage, mapview, notify, review, web

app_name = "reports"
urlpatterns = [
    *index.urlpatterns,
    *manage.urlpatterns,
    *review.urlpatterns,
    *csvio.urlpatterns,
    *notify.urlpatterns,
    *mapview.urlpatterns,
    *web.urlpatterns,
]
