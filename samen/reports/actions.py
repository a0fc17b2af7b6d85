"""Named actions on reports. Each writes its audit line; views, gateways, the API and imports call these."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Report, ReportChange, ReportMap


def log_change(report: Report, action: str, actor=None, changes: dict | None = None) -> ReportChange:
    return ReportChange.objects.create(report=report, actor=actor, action=action, changes=changes or {})


def create_report(
    report_map: ReportMap,
    *,
    source: str,
    title: str,
    description: str = "",
    reporter_contact: str = "",
    reporter_name: str = "",
    external_id: str = "",
    actor=None,
    categories=(),
    **fields,
) -> tuple[Report, bool]:
    """Store a new report unless it is a repeat. Returns (report, created).

    A repeat is the same external id (a gateway's message id, a CSV row's id) on the same map and
    source, or the same text from the same sender within the map's duplicate window. Phones and
    gateways retry; a retry storm must leave exactly one report.
    """
    fingerprint = Report.make_fingerprint(reporter_contact, f"{title}\n{description}") if reporter_contact else ""
    if external_id:
        existing = Report.objects.filter(report_map=report_map, source=source, external_id=external_id).first()
        if existing:
            return existing, False
    if fingerprint:
        since = timezone.now() - timedelta(minutes=report_map.duplicate_window_minutes)
        existing = (
            Report.objects.filter(report_map=report_map, fingerprint=fingerprint, created_at__gte=since)
            .order_by("created_at")
            .first()
        )
        if existing:
            return existing, False
    report = Report(
        report_map=report_map,
        source=source,
        title=title[:200],
        description=description,
        reporter_contact=reporter_contact,
        reporter_name=reporter_name,
        external_id=external_id,
        fingerprint=fingerprint,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    categories = list(categories)
    if categories:
        report.primary_category = categories[0]
    try:
        with transaction.atomic():
            report.save()
            if categories:
                report.categories.set(categories)
            log_change(report, "created", actor if report.created_by else None, {"source": [None, source]})
    except IntegrityError:
        # Two deliveries of the same message raced past the look-up above; the other one won.
        existing = Report.objects.filter(report_map=report_map, source=source, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    return report, True
