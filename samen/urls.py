from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from samen.api.api import api
from samen.core import media
from samen.core import views as core_views
from samen.initiatives import views as initiative_views

urlpatterns = [
    path("", initiative_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("samen.people.urls")),
    path("initiatives/", include("samen.initiatives.urls")),
    path("contributions/", include("samen.impact.urls")),
    path("tokens/", include("samen.api.urls")),
    path("maps/", include("samen.reports.urls")),
    path("gateways/", include("samen.messaging.urls")),
    path("plans/", include("samen.plans.urls")),
    path("volunteer/", include("samen.volunteering.urls")),
    path("give/", include("samen.giving.urls")),
    path("outreach/", include("samen.outreach.urls")),
    path("l/", include("samen.outreach.short_urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("reference/rows/", core_views.reference_rows, name="reference_rows"),
]
if settings.MEDIA_URL.startswith("/"):
    # Uploaded images are re-encoded and public; Samen serves them itself, with debug on or off
    # (core.media). With MEDIA_URL on a CDN or S3 the files are served from there instead.
    urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", media.serve, name="media"))

handler404 = "samen.core.views.not_found"
# Not Django's: allauth answers its rate limits with this view (samen.core.throttle's page).
handler429 = "samen.people.views.too_many_requests"
