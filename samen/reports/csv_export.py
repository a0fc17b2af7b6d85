"""Export a map's reports as CSV, in Ushahidi v3's columns, streamed in constant memory.

The rows come from the database in chunks (`.iterator(chunk_size=...)`, with the categories of each
chunk prefetched in one query), are written as CSV one chunk at a time and handed to a
StreamingHttpResponse: memory does not grow with the number of reports, and the number of queries
grows only with the number of chunks. Ushahidi's exports failed past about 5,000 rows because
they built the whole file first.

What a viewer gets is decided by the access helpers: reviewers get every report with the reporter's
contact and the original title, text and place; everyone else gets published reports, their public
(scrubbed or hand-corrected) title, text and place, and an empty Contact column. The columns are the same for both, so that any v3 tool reads either file.

After v3's columns come Samen's own, so that importing the file elsewhere rebuilds the map:
"Source links" (one address a line), "Category tree" (JSON: for each category, main category first,
its path from the root with names in every language, colour and position), "External ID" (the id
an imported report had where it came from) and "Samen URL" (the report's address, which names the
site, the map and the report: importing a map's export into the same map creates nothing).
"""

import itertools
import json
from collections.abc import Iterator
from datetime import UTC

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from samen.core import spreadsheet
from samen.core.access import Role

from .access import (
    original_place_for_viewer,
    original_text_for_viewer,
    original_title_for_viewer,
    reporter_contact_for_viewer,
    reports_for_viewer,
)
from .models import Category, Report, ReportMap, SourceLink

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
    # Samen's own: enough to rebuild a map elsewhere (csv_import reads them back).
    "Source links",
    "Category tree",
    "External ID",
    "Samen URL",
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
    "Source links": "#meta +url",
    "Category tree": "",
    "External ID": "#meta +id +external",
    "Samen URL": "#meta +id +url",
}
# Ushahidi v3 knows published, draft ("in review") and archived.
V3_STATUS = {
    Report.Status.RECEIVED: "draft",
    Report.Status.IN_REVIEW: "draft",
    Report.Status.PUBLISHED: "published",
    Report.Status.ARCHIVED: "archived",
}
UTC_FORMAT = "%Y-%m-%d %H:%M:%S"


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
            "external_id",
            "primary_category_id",
        )
        .prefetch_related(Prefetch("categories", queryset=Category.objects.only("pk").order_by()))
        .order_by("pk")
    )


class _Tree:
    """The map's categories, read once: each category's path from the root, as the file writes it."""

    def __init__(self, report_map: ReportMap):
        self.by_pk = {category.pk: category for category in Category.objects.filter(report_map=report_map)}
        self.paths: dict[int, list[Category]] = {}

    def path(self, pk: int) -> list[Category]:
        if pk not in self.paths:
            path: list[Category] = []
            category = self.by_pk.get(pk)
            while category is not None and category not in path:
                path.insert(0, category)
                category = self.by_pk.get(category.parent_id) if category.parent_id else None
            self.paths[pk] = path
        return self.paths[pk]

    def ordered(self, report: Report) -> list[int]:
        """The report's categories: its main category first, then the others in the tree's order."""
        others = sorted(
            {category.pk for category in report.categories.all()} - {report.primary_category_id},
            key=lambda pk: [(category.position, category.title, category.pk) for category in self.path(pk)],
        )
        main = [report.primary_category_id] if report.primary_category_id in self.by_pk else []
        return main + others


def _node(category: Category) -> dict:
    node: dict = {"title": category.title}
    if category.translations:
        node["translations"] = dict(sorted(category.translations.items()))
    node["colour"] = category.colour
    node["position"] = category.position
    return node


def export_rows(report_map: ReportMap, role: Role, *, hxl: bool = False) -> Iterator[list]:
    yield COLUMNS
    if hxl:
        yield [HXL_TAGS[column] for column in COLUMNS]
    tree = _Tree(report_map)
    marker = "987654321"
    address = settings.SITE_URL + reverse("reports:detail", args=[report_map.slug, marker])
    reports = reports_to_export(role, report_map).iterator(chunk_size=CHUNK_SIZE)
    for chunk in itertools.batched(reports, CHUNK_SIZE):
        # The chunk's links in one query, as plain pairs: a prefetch would tie each link to its
        # report in a reference cycle, which only the garbage collector would free.
        links: dict[int, list[str]] = {}
        for report_id, url in (
            SourceLink.objects.filter(report_id__in=[report.pk for report in chunk])
            .order_by("report_id", "position", "pk")
            .values_list("report_id", "url")
        ):
            links.setdefault(report_id, []).append(url)
        for report in chunk:
            yield _row(
                report,
                report_map,
                role,
                tree,
                links.get(report.pk, []),
                address.replace(marker, str(report.pk)),
            )


def _row(
    report: Report, report_map: ReportMap, role: Role, tree: _Tree, links: list[str], address: str
) -> list:
    """One report's cells: the id and coordinates as numbers, everything else as text (see core.spreadsheet)."""
    located = report.latitude is not None and report.longitude is not None
    categories = tree.ordered(report)
    return [
        report.pk,
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
        report.latitude if located else "",
        report.longitude if located else "",
        original_place_for_viewer(role, report),
        report.location_precision,
        ",".join(tree.by_pk[pk].title for pk in categories),
        "YES" if report.verified else "NO",
        "\n".join(links),
        json.dumps([[_node(c) for c in tree.path(pk)] for pk in categories], ensure_ascii=False)
        if categories
        else "",
        report.external_id if report.source == Report.Source.IMPORT else "",
        address,
    ]


def stream_csv(report_map: ReportMap, role: Role, *, hxl: bool = False) -> Iterator[bytes]:
    """The file as UTF-8 bytes, a chunk of rows at a time, starting with a BOM for spreadsheets.

    Text cells that a spreadsheet would run as a formula are neutralised (core.spreadsheet); the
    importer restores them when it reads the file back.
    """
    writer = spreadsheet.Writer()
    yield "\ufeff".encode()
    lines: list[str] = []
    for row in export_rows(report_map, role, hxl=hxl):
        lines.append(writer.writerow(row))
        if len(lines) >= CHUNK_SIZE:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()
