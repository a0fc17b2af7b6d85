"""/maps/: every report map the viewer may open, with how many reports each has published.

Which maps are listed is access.maps_for_viewer's decision: outsiders and anonymous visitors see
public maps only. The counts come from the cell-count summary (clustering.published_counts), so a
map of a million reports costs the page no more than a map of ten.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from .. import clustering
from ..access import maps_for_viewer
from ..models import ReportMap

PAGE_SIZE = 20


@require_safe
def maps_index(request):
    maps = maps_for_viewer(request.user).select_related("initiative").order_by("title", "pk")
    page = Paginator(maps, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = clustering.published_counts([report_map.pk for report_map in page.object_list])
    entries = [(report_map, counts.get(report_map.pk, 0)) for report_map in page.object_list]
    return render(
        request,
        "reports/maps_index.html",
        {"page": page, "entries": entries, "private": ReportMap.Visibility.PRIVATE},
    )


urlpatterns = [
    path("", maps_index, name="index"),
]
