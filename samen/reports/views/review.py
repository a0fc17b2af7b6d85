"""The review workflow: the queue, bulk actions, and one report's edit page with its lock.

Reviewers are the initiative's team and the map's named reviewers (access.get_map_for_reviewer).
Every change goes through a named action in actions.py, which writes the audit log.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from samen.core.scrub import find_contacts

from .. import actions, clustering
from ..access import get_map_for_reviewer, get_report_for_reviewer, reporter_contact_for_viewer
from ..forms import BulkForm, QueueFilterForm, ReviewForm
from ..models import PUBLIC_FIELDS, Report
from .mapview import OSM_TILES

PUBLIC = [public for _source, public, _by_hand in PUBLIC_FIELDS]

PAGE_SIZE = 25
Status = Report.Status
# What the edit page offers after saving, by the report's status (see actions.ALLOWED_TRANSITIONS).
THEN_LABELS = {
    Status.IN_REVIEW: ("review", gettext_lazy("Save and put back in review")),
    Status.PUBLISHED: ("publish", gettext_lazy("Save and publish")),
    Status.ARCHIVED: ("archive", gettext_lazy("Save and archive")),
}
THEN_STATUS = {"review": Status.IN_REVIEW, "publish": Status.PUBLISHED, "archive": Status.ARCHIVED}


def _queue_query(query: QueryDict, *, page: bool = True) -> str:
    """The queue's filters (and page) as a query string, rebuilt from known keys only."""
    kept = QueryDict(mutable=True)
    keys = ["status", "source", "category", "unlocated", "duplicates", "q"] + (["page"] if page else [])
    for key in keys:
        value = query.get(key)
        if isinstance(value, str) and value:
            kept[key] = value[:200]
    return kept.urlencode()


def _queue_url(report_map, query: str = "") -> str:
    url = reverse("reports:review", args=[report_map.slug])
    return f"{url}?{query}" if query else url


def _filtered(report_map, filters: dict):
    reports = Report.objects.filter(report_map=report_map, merged_into__isnull=True)
    status = filters.get("status")
    if not status:
        reports = reports.filter(status__in=[Status.RECEIVED, Status.IN_REVIEW])
    elif status != "all":
        reports = reports.filter(status=status)
    if filters.get("source"):
        reports = reports.filter(source=filters["source"])
    if filters.get("category"):
        reports = reports.filter(categories__pk=filters["category"])
    if filters.get("unlocated"):
        reports = reports.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
    if filters.get("duplicates"):
        reports = reports.filter(near_duplicate_of__isnull=False)
    text = (filters.get("q") or "").strip()
    if text:
        match = Q(title__icontains=text) | Q(description__icontains=text) | Q(place_name__icontains=text)
        match |= Q(reporter_contact__icontains=text)
        number = text.lstrip("#")
        if number.isdigit() and len(number) < 19:
            match |= Q(pk=int(number))
        reports = reports.filter(match)
    # A bounded number of queries per page, however many reports: one count, one page, one prefetch.
    return (
        reports.select_related("primary_category", "locked_by")
        .prefetch_related("categories")
        .order_by("-created_at", "-id")
    )


def _queue_page(request, report_map, query: QueryDict, bulk_form=None, selected=()):
    categories = list(report_map.categories.all())
    filter_form = QueueFilterForm(query or None, categories=categories)
    # An invalid filter is reported beside its field and left out; the others still apply.
    filter_form.is_valid()
    filters = getattr(filter_form, "cleaned_data", {})
    page = Paginator(_filtered(report_map, filters), PAGE_SIZE).get_page(query.get("page"))
    return render(
        request,
        "reports/review_queue.html",
        {
            "report_map": report_map,
            "filter_form": filter_form,
            "bulk_form": bulk_form or BulkForm(categories=categories),
            "page": page,
            "reports": page.object_list,
            "query": _queue_query(query),
            "filter_query": _queue_query(query, page=False),
            "selected": set(selected),
            "status_counts": _status_counts(report_map),
        },
    )


def _status_counts(report_map) -> list[tuple[str, str, int]]:
    """(status, label, how many) for the whole queue, whatever the filters: from the cell counts."""
    counts = clustering.report_counts([report_map.pk])[report_map.pk]
    return [(status, str(label), counts.get(status, 0)) for status, label in Status.choices]


@login_required
@require_http_methods(["GET"])
def queue(request, slug):
    report_map, _role = get_map_for_reviewer(request.user, slug)
    return _queue_page(request, report_map, request.GET)


@login_required
@require_POST
def bulk(request, slug):
    report_map, _role = get_map_for_reviewer(request.user, slug)
    query = QueryDict(request.POST.get("query", ""))
    categories = list(report_map.categories.all())
    form = BulkForm(request.POST, categories=categories)
    if not form.is_valid():
        selected = [int(pk) for pk in request.POST.getlist("reports") if pk.isdigit()]
        return _queue_page(request, report_map, query, bulk_form=form, selected=selected)
    category = next((c for c in categories if c.pk == form.cleaned_data["category"]), None)
    action, ids = form.cleaned_data["action"], form.cleaned_data["reports"]
    counts = actions.bulk_apply(report_map, request.user, ids, action, category=category)
    messages.success(
        request,
        ngettext("%(n)d report changed.", "%(n)d reports changed.", counts["done"]) % {"n": counts["done"]},
    )
    if counts["locked"]:
        messages.warning(
            request,
            ngettext(
                "%(n)d report was left alone: another reviewer is editing it.",
                "%(n)d reports were left alone: other reviewers are editing them.",
                counts["locked"],
            )
            % {"n": counts["locked"]},
        )
    if counts["refused"]:
        messages.warning(
            request,
            ngettext(
                "%(n)d report cannot take that step from its current status.",
                "%(n)d reports cannot take that step from their current status.",
                counts["refused"],
            )
            % {"n": counts["refused"]},
        )
    if action == "publish":
        _warn_unlocated(
            request, Report.objects.filter(report_map=report_map, pk__in=ids, status=Status.PUBLISHED)
        )
    return redirect(_queue_url(report_map, _queue_query(query)))


def _warn_contacts_by_hand(request, report):
    """A hand correction is published as written: say so when it still looks like it holds a contact."""
    region = report.phone_region()
    for _source, public, by_hand in PUBLIC_FIELDS:
        if getattr(report, by_hand) and find_contacts(getattr(report, public), region):
            messages.warning(
                request,
                _(
                    "The published text you corrected still holds what looks like a phone number or an "
                    "e-mail address. It is published as you wrote it."
                ),
            )
            return


def _warn_unlocated(request, published):
    unlocated = published.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True)).count()
    if unlocated:
        messages.warning(
            request,
            ngettext(
                "%(n)d published report has no coordinates: it is in the list, but not on the map "
                "until you geolocate it.",
                "%(n)d published reports have no coordinates: they are in the list, but not on the map "
                "until you geolocate them.",
                unlocated,
            )
            % {"n": unlocated},
        )


def _edit_page(request, report, role, form, *, locked_out=False, status=200):
    holder = report.locked_by if report.is_locked and report.locked_by_id != request.user.pk else None
    return render(
        request,
        "reports/review_edit.html",
        {
            "report_map": report.report_map,
            "report": report,
            "form": form,
            "holder": holder,
            "locked_out": locked_out,
            "contact": reporter_contact_for_viewer(role, report),
            "attachments": report.attachments.all(),
            # The small map of the report's place: Leaflet from npm, tiles as on the public map.
            "tiles": getattr(settings, "SAMEN_MAP_TILES", OSM_TILES),
            "next_steps": [
                THEN_LABELS[target]
                for target in (Status.PUBLISHED, Status.ARCHIVED, Status.IN_REVIEW)
                if actions.can_move(report.status, target)
                and not (report.merged_into_id and target == Status.PUBLISHED)
            ],
            "duplicate_of": (
                Report.objects.filter(pk=report.near_duplicate_of_id).only("id", "title").first()
                if report.near_duplicate_of_id
                else None
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, slug, pk):
    report, role = get_report_for_reviewer(request.user, slug, pk)
    report_map = report.report_map
    if request.method == "GET":
        if actions.acquire_lock(report, request.user) and report.status == Status.RECEIVED:
            # A reviewer has opened it: it is no longer waiting unseen.
            actions.start_review(report, request.user)
        form = ReviewForm(initial=ReviewForm.initial_for(report), report_map=report_map)
        return _edit_page(request, report, role, form)

    form = ReviewForm(request.POST, report_map=report_map)
    if not form.is_valid():
        return _edit_page(request, report, role, form)
    if not actions.acquire_lock(report, request.user):
        # Someone else holds it: save nothing, and show this reviewer's text back so nothing is lost.
        return _edit_page(request, report, role, form, locked_out=True, status=409)
    data = form.cleaned_data
    event_at = data["event_at"]
    if event_at == report.event_at.replace(second=0, microsecond=0):
        # The form shows minutes only; an untouched time must not be logged as changed.
        event_at = report.event_at
    then = request.POST.get("then", "")
    try:
        with transaction.atomic():
            actions.edit_report(
                report, request.user, title=data["title"], description=data["description"], event_at=event_at
            )
            actions.geolocate_report(
                report,
                request.user,
                place_name=data["place_name"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                precision=data["location_precision"],
            )
            actions.correct_public_text(
                report,
                request.user,
                shown={field: data[f"shown_{field}"] for field in PUBLIC},
                # A form without the public fields (an older page) corrects nothing.
                submitted={field: data[field] for field in PUBLIC if field in request.POST},
                rederive=data["rederive"],
            )
            actions.categorise_report(report, request.user, data["categories"])
            actions.set_verified(report, request.user, data["verified"])
            if then in THEN_STATUS:
                actions.set_status(report, request.user, THEN_STATUS[then])
    except actions.ReportLocked as locked:
        report.locked_by, report.locked_until = locked.holder, locked.until
        return _edit_page(request, report, role, form, locked_out=True, status=409)
    except ValidationError as error:
        # All or nothing: the edits were rolled back with the refused step, and the form keeps them.
        report.refresh_from_db()
        form.add_error(None, error)
        return _edit_page(request, report, role, form)
    actions.release_lock(report, request.user)
    messages.success(request, _("Saved report #%(number)d.") % {"number": report.pk})
    _warn_contacts_by_hand(request, report)
    if report.status == Status.PUBLISHED:
        _warn_unlocated(request, Report.objects.filter(pk=report.pk))
    return redirect(_queue_url(report_map, _queue_query(QueryDict(request.POST.get("query", "")))))


@login_required
@require_POST
def release(request, slug, pk):
    report, _role = get_report_for_reviewer(request.user, slug, pk)
    actions.release_lock(report, request.user)
    messages.info(request, _("Report #%(number)d is free for others to edit.") % {"number": report.pk})
    return redirect(_queue_url(report.report_map, _queue_query(QueryDict(request.POST.get("query", "")))))


@login_required
@require_POST
def merge(request, slug, pk):
    report, _role = get_report_for_reviewer(request.user, slug, pk)
    into_pk = request.POST.get("into", "").strip().lstrip("#")
    try:
        if not into_pk.isdigit() or len(into_pk) > 18:
            raise ValidationError(_("Type the number of the report to merge into."))
        try:
            into, _into_role = get_report_for_reviewer(request.user, slug, int(into_pk))
        except (Http404, PermissionDenied):
            raise ValidationError(
                _("There is no report #%(number)s on this map.") % {"number": into_pk}
            ) from None
        actions.merge_report(report, request.user, into)
    except actions.ReportLocked as locked:
        messages.error(request, _lock_message(locked))
        return redirect("reports:review_edit", slug, pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:review_edit", slug, pk)
    actions.release_lock(report, request.user)
    messages.success(
        request, _("Report #%(number)d is merged into #%(into)d.") % {"number": report.pk, "into": into.pk}
    )
    return redirect("reports:review_edit", slug, into.pk)


@login_required
@require_POST
def not_duplicate(request, slug, pk):
    report, _role = get_report_for_reviewer(request.user, slug, pk)
    try:
        actions.dismiss_near_duplicate(report, request.user)
    except actions.ReportLocked as locked:
        messages.error(request, _lock_message(locked))
    else:
        messages.success(request, _("Marked as not a duplicate."))
    return redirect("reports:review_edit", slug, pk)


def _lock_message(locked: actions.ReportLocked) -> str:
    name = locked.holder.display_name if locked.holder else _("Another reviewer")
    return _("%(name)s is editing this report; try again when they are done.") % {"name": name}


urlpatterns = [
    path("<slug:slug>/review/", queue, name="review"),
    path("<slug:slug>/review/bulk/", bulk, name="review_bulk"),
    path("<slug:slug>/review/<int:pk>/", edit, name="review_edit"),
    path("<slug:slug>/review/<int:pk>/release/", release, name="review_release"),
    path("<slug:slug>/review/<int:pk>/merge/", merge, name="review_merge"),
    path("<slug:slug>/review/<int:pk>/not-duplicate/", not_duplicate, name="review_not_duplicate"),
]
