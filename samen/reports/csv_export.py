"""Export a map's reports as CSV, in Ushahidi v3's columns, streamed in constant memory.

The rows come from the database in chunks (`.iterator(chunk_size=...)`, with the categories of each
chunk prefetched in one query), are written as CSV one chunk at a time and handed to a
StreamingHttpResponse: memory does not grow with the number of reports, and the number of queries
grows only with the number of chunks. Ushahidi's exports failed past about 5,000 rows because
they built the whole file first.

What a viewer gets is decided by the access helpers: reviewers get every report with the reporter's
contact and the original title, text and place; everyone else gets published reports, their public
(scrubbed or hand-corrected) title, text and place, and an empty Contact column. The columns are the same for both, so that any v3 tool reads either file.
"""

import csv
from collections.abc import Iterator
from datetime import UTC

from django.db.models import Prefetch, QuerySet

from samen.core.access import Role

from .access import (
    original_place_for_viewer,
    original_text_for_viewer,
    original_title_for_viewer,
    reporter_contact_for_viewer,
    reports_for_viewer,
)
from .models import Category, Report, ReportMap

CHUNK_SIZE = 500

# Ushahidi v3's fixed columns, in its order, then the survey fields of a Samen report.
FIXED_COLUMNS = [
    "Post ID",
    "Survey",
    "Post Status",
    "Created (UTC)",
    "Updated (UTC)",
    "Post Date (UTC)",
    "Contact ID",
    "Contact",
    "Data Source ID",
    "Source",
    "Unstructured Description",
]
SURVEY_COLUMNS = [
    "Title",
    "Description",
    "Location.lat",
    "Location.lon",
    "Place",
    "Precision",
    "Categories",
    "Verified",
]
COLUMNS = FIXED_COLUMNS + SURVEY_COLUMNS
# The Humanitarian Exchange Language tag of each column, for the optional second header row.
HXL_TAGS = {
    "Post ID": "#meta +id",
    "Survey": "#meta +survey",
    "Post Status": "#status",
    "Created (UTC)": "#date +created",
    "Updated (UTC)": "#date +updated",
    "Post Date (UTC)": "#date +occurred",
    "Contact ID": "",
    "Contact": "#contact",
    "Data Source ID": "",
    "Source": "#meta +source",
    "Unstructured Description": "",
    "Title": "#event +name",
    "Description": "#description",
    "Location.lat": "#geo +lat",
    "Location.lon": "#geo +lon",
    "Place": "#loc +name",
    "Precision": "#geo +precision",
    "Categories": "#event +type",
    "Verified": "#status +verified",
}
# Ushahidi v3 knows published, draft ("in review") and archived.
V3_STATUS = {
    Report.Status.RECEIVED: "draft",
    Report.Status.IN_REVIEW: "draft",
    Report.Status.PUBLISHED: "published",
    Report.Status.ARCHIVED: "archived",
}
UTC_FORMAT = "%Y-%m-%d %H:%M:%S"


class _Line:
    """A file-like object for csv.writer that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def reports_to_export(role: Role, report_map: ReportMap) -> QuerySet[Report]:
    """What this viewer may export, in a stable order, with only the columns the file needs."""
    return (
        reports_for_viewer(role, report_map)
        .select_related(None)
        .only(
            "pk",
            "status",
            "created_at",
            "updated_at",
            "event_at",
            "reporter_contact",
            "source",
            "title",
            "public_title",
            "description",
            "public_description",
            "latitude",
            "longitude",
            "place_name",
            "public_place_name",
            "location_precision",
            "verified",
        )
        .prefetch_related(Prefetch("categories", queryset=Category.objects.only("pk", "title").order_by()))
        .order_by("pk")
    )


def export_rows(report_map: ReportMap, role: Role, *, hxl: bool = False) -> Iterator[list[str]]:
    yield COLUMNS
    if hxl:
        yield [HXL_TAGS[column] for column in COLUMNS]
    for report in reports_to_export(role, report_map).iterator(chunk_size=CHUNK_SIZE):
        yield _row(report, report_map, role)


def _row(report: Report, report_map: ReportMap, role: Role) -> list[str]:
    located = report.latitude is not None and report.longitude is not None
    return [
        str(report.pk),
        report_map.title,
        V3_STATUS[Report.Status(report.status)],
        report.created_at.astimezone(UTC).strftime(UTC_FORMAT),
        report.updated_at.astimezone(UTC).strftime(UTC_FORMAT),
        report.event_at.astimezone(UTC).strftime(UTC_FORMAT),
        "",
        reporter_contact_for_viewer(role, report) or "",
        "",
        report.source,
        "",
        original_title_for_viewer(role, report),
        original_text_for_viewer(role, report),
        str(report.latitude) if located else "",
        str(report.longitude) if located else "",
        original_place_for_viewer(role, report),
        report.location_precision,
        ",".join(category.title for category in report.categories.all()),
        "YES" if report.verified else "NO",
    ]


def stream_csv(report_map: ReportMap, role: Role, *, hxl: bool = False) -> Iterator[bytes]:
    """The file as UTF-8 bytes, a chunk of rows at a time, starting with a BOM for spreadsheets."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    lines: list[str] = []
    for row in export_rows(report_map, role, hxl=hxl):
        lines.append(writer.writerow(row))
        if len(lines) >= CHUNK_SIZE:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()
