"""The public side of a report map: the web form, its thank-you page, a report's page and its evidence.

Everything private is fetched through samen.reports.access; what a viewer sees follows their role.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from samen.core import throttle
from samen.outreach import attribution

from .. import actions
from ..access import (
    can_review,
    get_attachment_for_viewer,
    get_map_for_viewer,
    get_report_for_reviewer,
    get_report_for_viewer,
    original_place_for_viewer,
    original_text_for_viewer,
    original_title_for_viewer,
    reporter_contact_for_viewer,
)
from ..forms import WebReportForm
from ..models import Attachment, ReportMap

# The report numbers this browser sent, so its thank-you pages show them and nobody else's.
SESSION_KEY = "reports_sent"
SESSION_KEEP = 20
# Served inline; anything else that arrives as evidence (by e-mail or MMS) is only downloaded, so a
# hostile file can never run as a page on this site.
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def _store_evidence(report, upload, content_type: str) -> Attachment:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return Attachment.objects.create(
        report=report,
        file=upload,
        content_type=content_type,
        size=upload.size,
        original_name=(upload.name or "")[-255:],
        sha256=digest.hexdigest(),
    )


@require_http_methods(["GET", "POST"])
def report_create(request, slug):
    report_map, role = get_map_for_viewer(request.user, slug)
    if not report_map.accepts(ReportMap.Channel.WEB):
        return render(request, "reports/web_closed.html", {"report_map": report_map}, status=404)
    form = WebReportForm(request.POST or None, request.FILES or None, report_map=report_map)
    if request.method == "POST" and form.is_valid():
        # The map's own team (typing in reports from a hotline, say) is not who the limit is for.
        wait = None if can_review(role) else throttle.hit(request, "report", key=throttle.who(request))
        if wait is not None:
            return throttle.too_many(request, wait)
        data = form.cleaned_data
        with transaction.atomic():
            report, created = actions.create_report(
                report_map,
                source="web",
                title=data["title"],
                description=data["description"],
                reporter_contact=data["reporter_contact"].strip(),
                reporter_name=data["reporter_name"].strip(),
                # One report per form: a second press of "Send" finds this one.
                external_id=f"form-{data['submission']}",
                actor=request.user,
                categories=data["categories"],
                event_at=data["event_at"] or timezone.now(),
                place_name=data["place_name"].strip(),
                latitude=data["latitude"],
                longitude=data["longitude"],
                location_precision=data["location_precision"],
            )
            if created and data["photo"]:
                _store_evidence(report, data["photo"], form.photo_type)
        if created:
            # After the report is safe: measuring never breaks reporting (the call never raises),
            # and it is idempotent on the report, so a second press of "Send" counts once.
            attribution.record_conversion(
                kind=attribution.REPORT,
                source="reports.report",
                source_ref=str(report.pk),
                request=request,
                member=request.user if request.user.is_authenticated else None,
                initiative=report_map.initiative,
            )
        sent = [pk for pk in request.session.get(SESSION_KEY, []) if pk != report.pk]
        request.session[SESSION_KEY] = [*sent, report.pk][-SESSION_KEEP:]
        return redirect("reports:thanks", report_map.slug, report.pk)
    return render(
        request,
        "reports/web_form.html",
        {
            "report_map": report_map,
            "form": form,
            "is_reviewer": can_review(role),
            "tiles": settings.SAMEN_MAP_TILES,
        },
    )


@require_safe
def report_thanks(request, slug, pk):
    report_map, _role = get_map_for_viewer(request.user, slug)
    if pk not in request.session.get(SESSION_KEY, []):
        raise Http404("Not a report sent from this browser")
    return render(request, "reports/web_thanks.html", {"report_map": report_map, "number": pk})


@require_safe
def report_detail(request, slug, pk):
    try:
        report, role = get_report_for_viewer(request.user, slug, pk)
    except Http404:
        # Reviewers also open reports that were merged away, to follow the trail; nobody else does.
        try:
            report, role = get_report_for_reviewer(request.user, slug, pk)
        except PermissionDenied:
            raise Http404("No such report") from None
    is_reviewer = can_review(role)
    context = {
        "report_map": report.report_map,
        "report": report,
        "is_reviewer": is_reviewer,
        "text": original_text_for_viewer(role, report),
        "contact": reporter_contact_for_viewer(role, report),
        "categories": report.categories.all(),
        "source_links": report.source_links.all(),
    }
    if is_reviewer:
        context.update(
            reporter_name=report.reporter_name,
            original_title=original_title_for_viewer(role, report),
            original_place=original_place_for_viewer(role, report),
            attachments=report.attachments.all(),
            changes=report.changes.select_related("actor")[:200],
            merged=report.merged.only("id", "public_title"),
        )
    return render(request, "reports/web_detail.html", context)


@login_required
@require_safe
def attachment(request, slug, pk, attachment_pk):
    item = get_attachment_for_viewer(request.user, slug, pk, attachment_pk)
    inline = item.content_type in INLINE_TYPES
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=item.download_name,
    )
    # Evidence must not linger in shared caches or be framed or scripted by anything it contains.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


urlpatterns = [
    path("<slug:slug>/report/", report_create, name="report"),
    path("<slug:slug>/report/thanks/<int:pk>/", report_thanks, name="thanks"),
    path("<slug:slug>/reports/<int:pk>/", report_detail, name="detail"),
    path("<slug:slug>/reports/<int:pk>/evidence/<int:attachment_pk>/", attachment, name="attachment"),
]
