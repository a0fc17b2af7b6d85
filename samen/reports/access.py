"""Access helpers for report maps and reports: the only way to fetch them.

Who is who on a map:
- coordinator: the initiative's owner or team (Role.OWNER / Role.TEAM) - manages the map and reviews;
- reviewer: named on the map (treated as Role.TEAM for reports, but cannot change the map's settings);
- member, outsider, anonymous: see a public map's published reports, nothing else.

Private: unpublished reports, the reporter's contact, the original (unscrubbed) text, evidence
originals, and every report of a private map.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from samen.core.access import Role, deny, is_signed_in
from samen.initiatives.access import role_for

from .models import Attachment, Report, ReportMap


def map_role(user, report_map: ReportMap) -> Role:
    role = role_for(user, report_map.initiative)
    if role < Role.TEAM and is_signed_in(user) and report_map.reviewers.filter(pk=user.pk).exists():
        return Role.TEAM
    return role


def is_coordinator(user, report_map: ReportMap) -> bool:
    """Coordinators change a map's settings; reviewers only work the queue."""
    return role_for(user, report_map.initiative) >= Role.TEAM


def can_review(role: Role) -> bool:
    return role >= Role.TEAM


def get_map_for_viewer(user, slug: str) -> tuple[ReportMap, Role]:
    report_map = get_object_or_404(ReportMap.objects.select_related("initiative"), slug=slug)
    role = map_role(user, report_map)
    if report_map.initiative.status == "draft" and role < Role.TEAM:
        raise deny()
    if report_map.visibility == ReportMap.Visibility.PRIVATE and role < Role.TEAM:
        raise deny()
    return report_map, role


def maps_for_viewer(user) -> QuerySet[ReportMap]:
    """Every map the viewer may open (as get_map_for_viewer decides): public maps of initiatives
    that are not drafts, and for a signed-in person also the maps of their team and those they review."""
    visible = Q(visibility=ReportMap.Visibility.PUBLIC) & ~Q(initiative__status="draft")
    if is_signed_in(user):
        visible |= Q(initiative__team__member=user) | Q(reviewers=user)
    return ReportMap.objects.filter(visible).distinct()


def get_map_for_reviewer(user, slug: str) -> tuple[ReportMap, Role]:
    report_map, role = get_map_for_viewer(user, slug)
    if not can_review(role):
        raise PermissionDenied
    return report_map, role


def get_map_for_coordinator(user, slug: str) -> tuple[ReportMap, Role]:
    report_map, role = get_map_for_viewer(user, slug)
    if not is_coordinator(user, report_map):
        raise PermissionDenied
    return report_map, role


def reports_for_viewer(role: Role, report_map: ReportMap) -> QuerySet[Report]:
    """Every report the viewer may see on a map they may see: all for reviewers, else published."""
    reports = Report.objects.filter(report_map=report_map, merged_into__isnull=True)
    return reports if can_review(role) else reports.published()


def get_report_for_viewer(user, slug: str, pk: int) -> tuple[Report, Role]:
    report_map, role = get_map_for_viewer(user, slug)
    report = get_object_or_404(reports_for_viewer(role, report_map).select_related("report_map"), pk=pk)
    return report, role


def get_report_for_reviewer(user, slug: str, pk: int) -> tuple[Report, Role]:
    report_map, role = get_map_for_reviewer(user, slug)
    report = get_object_or_404(
        Report.objects.filter(report_map=report_map).select_related("report_map"), pk=pk
    )
    return report, role


def reporter_contact_for_viewer(role: Role, report: Report) -> str | None:
    """The reporter's phone or e-mail address, for reviewers only; None for everyone else."""
    return report.reporter_contact if can_review(role) else None


def original_text_for_viewer(role: Role, report: Report) -> str:
    """Reviewers see the text as it arrived; everyone else sees the scrubbed text."""
    return report.description if can_review(role) else report.public_description


def original_title_for_viewer(role: Role, report: Report) -> str:
    """Reviewers see the title as it arrived; everyone else sees the public title."""
    return report.title if can_review(role) else report.public_title


def original_place_for_viewer(role: Role, report: Report) -> str:
    """Reviewers see the place as it was given; everyone else sees the public place name."""
    return report.place_name if can_review(role) else report.public_place_name


def get_attachment_for_viewer(user, slug: str, report_pk: int, pk: int) -> Attachment:
    """Evidence originals are for reviewers only, even on a published report."""
    report, _role = get_report_for_reviewer(user, slug, report_pk)
    return get_object_or_404(Attachment, report=report, pk=pk)
