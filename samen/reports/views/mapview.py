"""The public map of a report map: the page (map, filters and a list that works without JavaScript),
the clusters its script asks for, and the reports in a box as GeoJSON.

Maps and reports come only through samen.reports.access: the public sees published reports of
public maps, reviewers see every status and may filter by it, and private maps are a 404 for
everyone else. Clustering itself lives in samen.reports.clustering.
"""

from datetime import datetime, time, timedelta
from typing import cast

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.functions import Left
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from samen.core.access import Role, is_signed_in
from samen.core.moments import sane_date

from .. import clustering
from ..access import can_review, get_map_for_viewer, is_coordinator, reports_for_viewer
from ..clustering import BadParameter, BBox, MapFilters
from ..forms import category_tree
from ..models import Category, Report, ReportMap

PAGE_SIZE = 20
# Answers change when a report is published; a minute of staleness spares the database on busy maps.
MAX_AGE = 60
# OpenStreetMap's tiles by default; SAMEN_MAP_TILES points elsewhere (a paid tile service, or a
# local stand-in in browser tests).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class MapFilterForm(forms.Form):
    """The map's filters, shared by the page, the list, clusters.json and reports.geojson.

    `from` and `to` are Python keywords, so those two fields are added in __init__.
    """

    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False)
    bbox = forms.CharField(required=False, widget=forms.HiddenInput)
    # The list of reports without a place (no coordinates): never on the map, so never in an area.
    unplaced = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories: list[Category], role: Role, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("All categories")),
            *[(category.pk, "— " * depth + category.name) for category, depth in category_tree(categories)],
        ]
        cast(forms.ChoiceField, self.fields["source"]).choices = [
            ("", _("All sources")),
            *Report.Source.choices,
        ]
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False, widget=date, validators=[sane_date]
        )
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False, widget=date, validators=[sane_date]
        )
        if can_review(role):
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"), required=False, choices=[("", _("All statuses")), *Report.Status.choices]
            )
        # The area stays last: it is hidden, and the script keeps it in step with the map.
        self.order_fields(["category", "source", "from", "to", "status", "bbox", "unplaced"])

    def clean_bbox(self) -> BBox | None:
        text = self.cleaned_data.get("bbox")
        if not text:
            return None
        try:
            return BBox.parse(text)
        except BadParameter as error:
            raise forms.ValidationError(error.message, code="bbox") from None

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("from"), cleaned.get("to")
        if since and until and since > until:
            self.add_error("to", _("The end date must be on or after the start date."))
        return cleaned

    def filters(self) -> MapFilters:
        """The valid filters; an invalid one is left out (and reported by the form)."""
        cleaned = getattr(self, "cleaned_data", {})
        category = cleaned.get("category")
        status = cleaned.get("status")
        return MapFilters(
            category_ids=clustering.with_descendants(category, self.categories) if category else frozenset(),
            source=cleaned.get("source") or "",
            since=_start_of(cleaned.get("from")),
            until=_start_of(cleaned["to"] + timedelta(days=1)) if cleaned.get("to") else None,
            statuses=(status,) if status else (),
        )

    @property
    def area(self) -> BBox | None:
        return getattr(self, "cleaned_data", {}).get("bbox")

    @property
    def without_place(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("unplaced"))


def _start_of(day) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _edges(bbox: BBox | None) -> str:
    """south,west,north,east for the map's script: never localised (a comma is the separator)."""
    return (
        ",".join(f"{value:.6f}" for value in (bbox.south, bbox.west, bbox.north, bbox.east)) if bbox else ""
    )


def _viewer(request, slug) -> tuple[ReportMap, Role, list[Category]]:
    report_map, role = get_map_for_viewer(request.user, slug)
    return report_map, role, list(report_map.categories.all())


def _without_place(reports):
    return reports.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))


def _listing(report_map, role, form: MapFilterForm):
    reports = form.filters().apply(reports_for_viewer(role, report_map), role)
    if form.without_place:
        reports = _without_place(reports)
    elif form.area:
        reports = form.area.filter(reports)
    # The list shows the scrubbed text only, and only its start: never the original description.
    return (
        reports.select_related("primary_category")
        .only(
            "pk",
            "public_title",
            "event_at",
            "public_place_name",
            "status",
            "source",
            "report_map_id",
            "primary_category__title",
            "primary_category__translations",
            "primary_category__colour",
        )  # fmt: skip
        .annotate(excerpt=Left("public_description", 240))
        .order_by("-event_at", "-id")
    )


def _list_context(request, report_map, role, form) -> dict:
    page = Paginator(_listing(report_map, role, form), PAGE_SIZE).get_page(request.GET.get("page"))
    unplaced_count = 0
    if form.area and not form.without_place:
        # The list follows the map's area, which reports without a place are never in: say how
        # many there are and link to them, so that they stay one step away.
        unplaced_count = _without_place(
            form.filters().apply(reports_for_viewer(role, report_map), role)
        ).count()
    return {
        "report_map": report_map,
        "page": page,
        "reports": page.object_list,
        "is_reviewer": can_review(role),
        "area": None if form.without_place else form.area,
        "unplaced": form.without_place,
        "unplaced_count": unplaced_count,
    }


@require_safe
def map_page(request, slug):
    report_map, role, categories = _viewer(request, slug)
    form = MapFilterForm(request.GET or None, categories=categories, role=role)
    # An invalid filter is reported beside its field and left out; the others still apply.
    form.is_valid()
    query = request.GET.copy()
    for name in ("bbox", "page"):
        query.pop(name, None)
    context = {
        **_list_context(request, report_map, role, form),
        "form": form,
        "categories": category_tree(categories),
        "filters_query": query.urlencode(),
        "tiles": getattr(settings, "SAMEN_MAP_TILES", OSM_TILES),
        # The first view fits the published reports: four index lookups, no points sent.
        "extent": _edges(clustering.published_extent(report_map)),
        "is_coordinator": is_coordinator(request.user, report_map),
        "filtering": any(
            request.GET.get(name) for name in ("category", "source", "from", "to", "status", "unplaced")
        ),
    }
    return render(request, "reports/map.html", context)


@require_safe
def map_list(request, slug):
    """The list alone, for the map's script to swap in when the map moves."""
    report_map, role, categories = _viewer(request, slug)
    form = MapFilterForm(request.GET or None, categories=categories, role=role)
    form.is_valid()
    response = render(request, "reports/_list.html", _list_context(request, report_map, role, form))
    return _cacheable(response, request, report_map)


def _json_error(form: MapFilterForm | None = None, error: BadParameter | None = None) -> JsonResponse:
    errors: dict[str, list[str]] = {}
    if form is not None:
        errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    if error is not None:
        errors.setdefault(error.field, []).append(str(error.message))
    detail = " ".join(message for messages in errors.values() for message in messages)
    return JsonResponse({"detail": detail, "errors": errors}, status=400)


def _cacheable(response: HttpResponse, request, report_map: ReportMap) -> HttpResponse:
    # Shared caches may keep only what anybody may see: a public map, asked for anonymously.
    shared = not is_signed_in(request.user) and report_map.visibility == ReportMap.Visibility.PUBLIC
    # Only the directive that holds: patch_cache_control writes a False value out as "private=False".
    if shared:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response


def _json_view(request, slug):
    """The map, the viewer's role and valid filters, or a JSON error response."""
    try:
        report_map, role, categories = _viewer(request, slug)
    except Http404:
        return None, JsonResponse({"detail": gettext("No such map.")}, status=404)
    form = MapFilterForm(request.GET, categories=categories, role=role)
    if not form.is_valid():
        return None, _json_error(form)
    if form.area is None:
        return None, _json_error(error=BadParameter("bbox", clustering.BBOX_FORMAT))
    return (report_map, role, categories, form), None


@require_safe
def clusters_json(request, slug):
    found, error = _json_view(request, slug)
    if error:
        return error
    report_map, role, categories, form = found
    try:
        zoom = int(request.GET.get("zoom", ""))
    except ValueError:
        return _json_error(error=BadParameter("zoom", _("The zoom must be a whole number from 0 to 20.")))
    try:
        view = clustering.map_view(report_map, role, form.area, zoom, form.filters(), categories=categories)
    except BadParameter as bad:
        return _json_error(error=bad)
    response = HttpResponse(view.encode(), content_type="application/json")
    return _cacheable(response, request, report_map)


@require_safe
def reports_geojson(request, slug):
    found, error = _json_view(request, slug)
    if error:
        return error
    report_map, role, categories, form = found
    collection = clustering.geojson(report_map, role, form.area, form.filters(), categories=categories)
    response = JsonResponse(
        collection, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False}
    )
    return _cacheable(response, request, report_map)


urlpatterns = [
    path("<slug:slug>/", map_page, name="map"),
    path("<slug:slug>/list/", map_list, name="map_list"),
    path("<slug:slug>/clusters.json", clusters_json, name="clusters"),
    path("<slug:slug>/reports.geojson", reports_geojson, name="geojson"),
]
