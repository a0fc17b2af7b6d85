"""Crowd reports: read a map's reports (published ones for the public), send one in with a token.

Maps and reports are fetched only through samen.reports.access; what a viewer may see of a report
(the original text, the reporter's contact) is decided there too. Reports are created by the
reports app's own action, so the API dedupes exactly like the SMS and web intake.
"""

import json
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import Throttled
from ninja.pagination import paginate

from samen.api.auth import OPTIONAL_TOKEN, TokenRequest, token_auth, viewer
from samen.api.errors import READ, WRITE, BadRequest, answers
from samen.api.pagination import Pagination
from samen.api.schemas import absolute, choice
from samen.core import moments, throttle
from samen.core.access import Role, is_key
from samen.reports import clustering
from samen.reports.access import (
    can_review,
    get_map_for_viewer,
    get_report_for_viewer,
    original_place_for_viewer,
    original_text_for_viewer,
    original_title_for_viewer,
    reporter_contact_for_viewer,
    reports_for_viewer,
)
from samen.reports.actions import create_report
from samen.reports.clustering import BadParameter, BBox, MapFilters, geojson, map_view, with_descendants
from samen.reports.models import Category, Report, ReportMap

router = Router(tags=["reports"])

# Our prefix plus the member's id must still fit Report.external_id (100 characters).
MAX_KEY_LENGTH = 80

NOT_ACCEPTED = gettext_noop("This map does not take reports through the API.")
STATUS_FOR_REVIEWERS = gettext_noop("Only the map's reviewers may filter by status.")


# --- What goes over the wire ----------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    title: str
    name: str = Field(description="The name in the language asked for with Accept-Language.")
    colour: str
    parent: int | None

    @staticmethod
    def resolve_parent(obj):
        return obj.parent_id


class LocationOut(Schema):
    latitude: float | None
    longitude: float | None
    place_name: str = Field(description="The place's name with phone numbers and e-mail addresses removed.")
    precision: str = choice(Report.Precision.values)

    @staticmethod
    def resolve_place_name(obj):
        return obj.public_place_name

    @staticmethod
    def resolve_precision(obj):
        return obj.location_precision


class ReviewOut(Schema):
    """What only the map's team and reviewers see."""

    original_title: str = Field(description="The title as it arrived, before contacts were scrubbed.")
    original_description: str = Field(description="The text as it arrived, before contacts were scrubbed.")
    original_place_name: str = Field(description="The place as it was given, before contacts were scrubbed.")
    reporter_name: str
    reporter_contact: str | None
    created_at: datetime
    updated_at: datetime


class ReportOut(Schema):
    id: int
    map: str = Field(description="The map's slug.")
    title: str = Field(description="The title with phone numbers and e-mail addresses removed.")
    description: str = Field(description="The text with phone numbers and e-mail addresses removed.")
    event_at: datetime
    published_at: datetime | None
    location: LocationOut
    categories: list[CategoryOut]
    source: str = choice(Report.Source.values)
    status: str = choice(Report.Status.values)
    verified: bool
    url: str = Field(description="The report's page on the web.")
    review: ReviewOut | None = Field(description="For the map's reviewers only; null for everyone else.")

    @staticmethod
    def resolve_map(obj):
        return obj.report_map.slug

    @staticmethod
    def resolve_title(obj):
        return obj.public_title

    @staticmethod
    def resolve_description(obj):
        return obj.public_description

    @staticmethod
    def resolve_location(obj):
        return obj

    @staticmethod
    def resolve_categories(obj):
        return obj.categories.all()

    @staticmethod
    def resolve_url(obj, context):
        return absolute(context, obj.get_absolute_url())

    @staticmethod
    def resolve_review(obj, context):
        role = getattr(context["request"], "report_role", Role.ANONYMOUS)
        if not can_review(role):
            return None
        return {
            "original_title": original_title_for_viewer(role, obj),
            "original_description": original_text_for_viewer(role, obj),
            "original_place_name": original_place_for_viewer(role, obj),
            "reporter_name": obj.reporter_name,
            "reporter_contact": reporter_contact_for_viewer(role, obj),
            "created_at": obj.created_at,
            "updated_at": obj.updated_at,
        }


class LocationIn(Schema):
    # Python's JSON parser accepts NaN and Infinity; no place lies there.
    latitude: float | None = Field(None, allow_inf_nan=False)
    longitude: float | None = Field(None, allow_inf_nan=False)
    place_name: str = Field("", max_length=200)
    precision: str = choice(
        Report.Precision.values, "exact", description=gettext_noop("exact, near, place or region.")
    )


class ReportIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=20000)
    event_at: datetime | None = Field(None, description=gettext_noop("When it happened; now when left out."))
    location: LocationIn | None = None
    categories: list[int] = Field(default_factory=list, description=gettext_noop("Category ids of this map."))
    reporter_name: str = Field("", max_length=120)
    reporter_contact: str = Field(
        "", max_length=255, description=gettext_noop("Private: only the map's reviewers ever see it.")
    )
    external_id: str = Field(
        "",
        max_length=MAX_KEY_LENGTH,
        description=gettext_noop("Your id for this report; sending it again returns the same report."),
    )


class ReportFilters(Schema):
    category: int | None = Field(None, description=gettext_noop("A category id; includes the ones under it."))
    source: str = choice(
        ["", *Report.Source.values], "", description=gettext_noop("web, sms, email, import or api.")
    )
    since: datetime | None = Field(None, description=gettext_noop("Events at or after this time."))
    until: datetime | None = Field(None, description=gettext_noop("Events before this time."))
    bbox: str = Field("", description=gettext_noop("An area: south,west,north,east in degrees."))
    status: str = choice(
        ["", *Report.Status.values],
        "",
        description=gettext_noop("For reviewers: received, in_review, published or archived."),
    )


# --- Helpers --------------------------------------------------------------------------------


def _bad(field: str, message) -> BadRequest:
    return BadRequest(f"{field}: {message}", {field: [str(message)]})


def _bbox(text: str) -> BBox:
    try:
        return BBox.parse(text)
    except BadParameter as error:
        raise _bad(error.field, error.message) from None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


def _viewing(request: HttpRequest, slug: str, query: ReportFilters) -> tuple[ReportMap, Role, MapFilters]:
    """The map as the caller may see it, and their filters checked: the same filters the map page uses."""
    report_map, role = get_map_for_viewer(viewer(request), slug)
    request.report_role = role  # type: ignore[attr-defined]  # read by ReportOut.resolve_review
    statuses: tuple[str, ...] = ()
    if query.status:
        if not can_review(role):
            raise PermissionDenied(gettext(STATUS_FOR_REVIEWERS))
        if query.status not in Report.Status.values:
            raise _bad(
                "status", gettext("choose one of %(choices)s.") % {"choices": ", ".join(Report.Status.values)}
            )
        statuses = (query.status,)
    for name in ("since", "until"):
        moment = getattr(query, name)
        if moment is not None and not moments.in_range(moment):
            raise _bad(name, moments.OUT_OF_RANGE)
    if query.source and query.source not in Report.Source.values:
        raise _bad(
            "source", gettext("choose one of %(choices)s.") % {"choices": ", ".join(Report.Source.values)}
        )
    category_ids: frozenset[int] = frozenset()
    if query.category is not None:
        categories = list(report_map.categories.all())
        if query.category not in {category.pk for category in categories}:
            raise _bad(
                "category", gettext("there is no category %(id)s on this map.") % {"id": query.category}
            )
        category_ids = with_descendants(query.category, categories)
    filters = MapFilters(
        category_ids=category_ids,
        source=query.source,
        since=_aware(query.since),
        until=_aware(query.until),
        statuses=statuses,
    )
    return report_map, role, filters


def _for_output(reports: QuerySet[Report]) -> QuerySet[Report]:
    # One query for the page and one for all its categories, whatever the page size.
    return (
        reports.select_related("report_map")
        .prefetch_related("categories__parent")
        .order_by("-event_at", "-id")
    )


# --- Operations -----------------------------------------------------------------------------


@router.get(
    "/maps/{slug}/reports",
    response=answers(list[ReportOut], READ, 400, 403),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("List a map's reports"),
    description=gettext_noop(
        "Newest event first. Published reports for everyone; the map's reviewers (with their token) see "
        "every report and may filter by `status`. A private map is found only with a reviewer's token."
    ),
)
@paginate(Pagination)
def list_reports(request: HttpRequest, slug: str, query: Query[ReportFilters]):
    report_map, role, filters = _viewing(request, slug, query)
    reports = filters.apply(reports_for_viewer(role, report_map), role)
    if query.bbox:
        reports = _bbox(query.bbox).filter(reports)
    return _for_output(reports)


@router.get(
    "/maps/{slug}/reports/{report_id}",
    response=answers(ReportOut, READ),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    summary=gettext_noop("One report"),
    description=gettext_noop("An unpublished report is found only with a reviewer's token."),
)
def get_report(request: HttpRequest, slug: str, report_id: int):
    report, role = get_report_for_viewer(viewer(request), slug, report_id)
    request.report_role = role  # type: ignore[attr-defined]
    return report


def _validated_fields(report_map: ReportMap, payload: ReportIn) -> dict:
    """Meaning, after ninja has checked the shape: every problem at once, as a 400 with `errors`."""
    errors: dict[str, list[str]] = {}
    title = " ".join(payload.title.split())
    if not title:
        errors["title"] = [gettext("Give the report a title.")]
    fields: dict = {"title": title, "description": payload.description.strip()}
    if payload.event_at is not None and not moments.in_range(payload.event_at):
        errors["event_at"] = [str(moments.OUT_OF_RANGE)]
    elif payload.event_at is not None:
        event_at = payload.event_at
        fields["event_at"] = event_at if timezone.is_aware(event_at) else timezone.make_aware(event_at)
    location = payload.location
    if location is not None:
        latitude, longitude = location.latitude, location.longitude
        if (latitude is None) != (longitude is None):
            errors["location"] = [gettext("Give both latitude and longitude, or neither.")]
        if latitude is not None and not -90 <= latitude <= 90:
            errors["location.latitude"] = [gettext("Latitude must be between -90 and 90.")]
        if longitude is not None and not -180 <= longitude <= 180:
            errors["location.longitude"] = [gettext("Longitude must be between -180 and 180.")]
        if location.precision not in Report.Precision.values:
            errors["location.precision"] = [
                gettext("Choose one of %(choices)s.") % {"choices": ", ".join(Report.Precision.values)}
            ]
        if latitude is not None and longitude is not None:
            # The columns keep six decimals (about 10 cm); more from a GPS is noise, not an error.
            fields["latitude"] = Decimal(str(round(latitude, 6)))
            fields["longitude"] = Decimal(str(round(longitude, 6)))
        fields["place_name"] = location.place_name.strip()
        fields["location_precision"] = location.precision
    # A number past 64 bits names no category, and the database would refuse to compare it.
    wanted = [pk for pk in payload.categories if is_key(pk)]
    categories = list(Category.objects.filter(report_map=report_map, pk__in=wanted))
    unknown = set(payload.categories) - {category.pk for category in categories}
    if unknown:
        errors["categories"] = [
            gettext("No such category on this map: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))}
        ]
    # Keep the order the client gave: the first category is the report's main one.
    order = {pk: index for index, pk in enumerate(payload.categories)}
    fields["categories"] = sorted(categories, key=lambda category: order[category.pk])
    if errors:
        described = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        raise BadRequest(described, errors)
    return fields


@router.post(
    "/maps/{slug}/reports",
    response=answers({200: ReportOut, 201: ReportOut}, WRITE),
    auth=token_auth,
    summary=gettext_noop("Send in a report"),
    description=gettext_noop(
        "For maps that take reports through the API. The report starts as `received` and is public only "
        "after review. Send an `Idempotency-Key` header or an `external_id`: a retry with the same key "
        "returns the first report (200) instead of making a second one (201)."
    ),
)
def create(
    request: TokenRequest,
    slug: str,
    payload: ReportIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=MAX_KEY_LENGTH),
):
    report_map, role = get_map_for_viewer(request.auth, slug)
    request.report_role = role  # type: ignore[attr-defined]
    if not report_map.accepts("api"):
        raise PermissionDenied(gettext(NOT_ACCEPTED))
    key = payload.external_id.strip() or idempotency_key.strip()
    if (
        payload.external_id.strip()
        and idempotency_key.strip()
        and payload.external_id.strip() != idempotency_key.strip()
    ):
        raise BadRequest(
            gettext("external_id and the Idempotency-Key header differ; send one, or the same in both."),
            {"external_id": [gettext("Differs from the Idempotency-Key header.")]},
        )
    fields = _validated_fields(report_map, payload)
    wait = None if can_review(role) else throttle.hit(request, "report", key=f"member:{request.auth.pk}")
    if wait is not None:
        raise Throttled(wait)
    report, created = create_report(
        report_map,
        source=Report.Source.API,
        # Keys are per member: two clients that both number their reports from 1 never meet.
        external_id=f"{request.auth.pk}:{key}" if key else "",
        reporter_name=payload.reporter_name.strip(),
        reporter_contact=payload.reporter_contact.strip(),
        actor=request.auth,
        **fields,
    )
    report = _for_output(Report.objects.filter(pk=report.pk)).get()
    return Status(201 if created else 200, report)


WHOLE_WORLD = "-90,-180,90,180"


@router.get(
    "/maps/{slug}/reports.geojson",
    response=answers(None, READ, 400, 403),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN
    | {
        "responses": {
            200: {
                "description": "A GeoJSON FeatureCollection (RFC 7946).",
                "content": {"application/geo+json": {"schema": {"type": "object"}}},
            }
        }
    },
    summary=gettext_noop("Reports in an area, as GeoJSON"),
    description=gettext_noop(
        "Located reports inside `bbox` (south,west,north,east; the whole map when left out) as a "
        "FeatureCollection, newest first, at most 1000; `truncated` says whether there were more "
        "(zoom in, or use /clusters). Same filters and visibility as the list."
    ),
)
def reports_geojson(request: HttpRequest, slug: str, query: Query[ReportFilters]):
    report_map, role, filters = _viewing(request, slug, query)
    # The cap is read here, at call time, so that one setting governs the map page and the API.
    limit = clustering.GEOJSON_LIMIT
    collection = geojson(report_map, role, _bbox(query.bbox or WHOLE_WORLD), filters, limit=limit)
    return HttpResponse(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")), content_type="application/geo+json"
    )


class ClusterQuery(ReportFilters):
    bbox: str = Field(description=gettext_noop("The view: south,west,north,east in degrees."))
    zoom: int = Field(description=gettext_noop("The map's zoom level, 0 to 20."))


@router.get(
    "/maps/{slug}/clusters",
    response=answers(None, READ, 400, 403),
    auth=None,
    openapi_extra=OPTIONAL_TOKEN
    | {
        "responses": {
            200: {
                "description": (
                    '{"kind": "clusters", "clusters": [{"lat", "lng", "count", "category"}], ...} or '
                    '{"kind": "points", "points": [{"id", "title", "lat", "lng", "category", "url"}], ...}'
                ),
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        }
    },
    summary=gettext_noop("Clusters for one view of the map"),
    description=gettext_noop(
        "Counted on the server: one cluster per H3 cell in view (count, centre, most common category), "
        "or the reports themselves when there are few or the zoom is close. Never more than 50 KB."
    ),
)
def clusters(request: HttpRequest, slug: str, query: Query[ClusterQuery]):
    report_map, role, filters = _viewing(request, slug, query)
    try:
        view = map_view(report_map, role, _bbox(query.bbox), query.zoom, filters)
    except BadParameter as error:
        raise _bad(error.field, error.message) from None
    return HttpResponse(view.encode(), content_type="application/json")
