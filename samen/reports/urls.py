"""All report URLs live under /maps/. Each view module declares its own patterns."""

from .views import csvio, inbox, index, manage, mapview, notify, review, web

app_name = "reports"
urlpatterns = [
    # First: /maps/inbox/ is not a map ("inbox" is a reserved slug).
    *inbox.urlpatterns,
    *index.urlpatterns,
    *manage.urlpatterns,
    *review.urlpatterns,
    *csvio.urlpatterns,
    *notify.urlpatterns,
    *mapview.urlpatterns,
    *web.urlpatterns,
]
