"""CSV in and out of a report map: the import page for coordinators, and the streamed export.

Who may do what, through the access helpers:
- import: coordinators only (get_map_for_coordinator), and only while the map's "import" channel
  is on (off → 404, like any switched-off feature). The upload becomes an ImportJob run in the
  background (csv_jobs.py); its page refreshes itself (a Refresh header, no JavaScript needed,
  which the reader can stop) and ends with the row-by-row report;
- export: anyone who may see the map (get_map_for_viewer); reviewers get every report with the
  reporter's contact and original text, everyone else published reports without them.
"""

import functools
import re
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core.forms import TagListField

from ..access import can_review, get_map_for_coordinator, get_map_for_viewer
from ..csv_export import stream_csv
from ..csv_import import DEFAULT_LANGUAGES, CsvFormatError, ImportSummary, Outcome, check_file, clean_source
from ..csv_jobs import is_stale, retry, start_import
from ..models import ImportJob, ReportMap

# The result page lists problems row by row; past this many it says how many more there are,
# so that a 50,000-row file with a bad column does not make a page too heavy for 2G.
SHOWN_PROBLEMS = 500
REFRESH_SECONDS = 2
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("An export from Ushahidi, version 2 or 3."),
    )
    languages = TagListField(
        label=gettext_lazy("Languages of two-part category names"),
        help_text=gettext_lazy(
            "For names such as “Urgences | Emergency”: the language code of each part, in order, "
            "separated by commas."
        ),
        initial=", ".join(DEFAULT_LANGUAGES),
        max_tags=5,
        max_length_each=12,
    )

    time_zone = forms.CharField(
        label=gettext_lazy("Time zone of the dates in the file"),
        help_text=gettext_lazy(
            "Ushahidi v2 wrote dates in the deployment's local time, such as America/Port-au-Prince. "
            "Dates marked UTC (Ushahidi v3, Samen) are read as UTC whatever this says."
        ),
        max_length=64,
    )
    source = forms.CharField(
        label=gettext_lazy("Where the file comes from (optional)"),
        help_text=gettext_lazy(
            "The address of the Ushahidi deployment, such as haiti.ushahidi.com. Report numbers from "
            "different deployments never clash; give later exports of the same deployment the same name."
        ),
        max_length=200,
        required=False,
    )

    def __init__(self, *args, report_map: ReportMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = report_map.zone_name

    def clean_time_zone(self):
        typed = self.cleaned_data["time_zone"].strip()
        canonical = _time_zones().get(typed.lower().replace(" ", "_"))
        if canonical is None:
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone such as Africa/Nairobi or UTC.") % {"zone": typed[:64]}
            )
        return canonical

    def clean_source(self):
        return clean_source(self.cleaned_data["source"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SAMEN_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s; the limit is %(limit)s. Split it, or ask the server's "
                    "operator to run “manage.py import_reports”."
                )
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        # A file that is not an export at all is refused here, beside the field, rather than in
        # the background; the rows themselves are the import's business.
        try:
            check_file(upload.read())
        except CsvFormatError as error:
            raise forms.ValidationError(str(error)) from None
        upload.seek(0)
        return upload

    def clean_languages(self):
        languages = [language.lower() for language in self.cleaned_data["languages"]]
        wrong = [language for language in languages if not LANGUAGE_CODE.match(language)]
        if wrong:
            raise forms.ValidationError(
                _("“%(code)s” is not a language code such as fr, en or ht.") % {"code": wrong[0]}
            )
        return languages or list(DEFAULT_LANGUAGES)


@functools.cache
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _importable_map(user, slug: str) -> ReportMap:
    report_map, _role = get_map_for_coordinator(user, slug)
    if not report_map.accepts(ReportMap.Channel.IMPORT):
        raise Http404("CSV import is off for this map")
    return report_map


@login_required
@require_http_methods(["GET", "POST"])
def csv_import(request, slug):
    report_map = _importable_map(request.user, slug)
    form = ImportForm(request.POST or None, request.FILES or None, report_map=report_map)
    if request.method == "POST" and form.is_valid():
        # The import runs in the background; the progress page follows it and shows the report.
        job = start_import(
            report_map,
            form.cleaned_data["file"],
            actor=request.user,
            options={
                "languages": form.cleaned_data["languages"],
                "time_zone": form.cleaned_data["time_zone"],
                "source": form.cleaned_data["source"],
            },
        )
        return redirect("reports:csv_import_job", report_map.slug, job.pk)
    jobs = report_map.import_jobs.order_by("-created_at")[:5]
    return render(request, "reports/csv_import.html", {"report_map": report_map, "form": form, "jobs": jobs})


def _job(report_map: ReportMap, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("created_by"), report_map=report_map, pk=pk)


@login_required
@require_safe
def csv_import_job(request, slug, pk):
    report_map = _importable_map(request.user, slug)
    job = _job(report_map, pk)
    context = {"report_map": report_map, "job": job, "stale": is_stale(job)}
    finished = job.state in (ImportJob.State.DONE, ImportJob.State.FAILED)
    if job.state == ImportJob.State.DONE and job.summary is not None:
        summary = ImportSummary.from_dict(job.summary)
        outcomes = {
            Outcome.DUPLICATE: _("Skipped"),
            Outcome.EMPTY: _("Skipped"),
            Outcome.REJECTED: _("Rejected"),
            Outcome.WARNING: _("Imported, with a warning"),
        }
        context |= {
            "summary": summary,
            "problems": [
                (problem.row, outcomes.get(problem.outcome, problem.outcome), problem.message)
                for problem in summary.problems[:SHOWN_PROBLEMS]
            ],
            "hidden_problems": max(0, len(summary.problems) - SHOWN_PROBLEMS),
        }
    else:
        total = job.rows_total or 0
        waiting = not finished and not context["stale"]
        context |= {
            "percent": int(100 * job.rows_done / total) if total else 0,
            "waiting": waiting,
            # Seconds until the page asks again, unless the reader stopped it (WCAG 2.2.1).
            "refresh": REFRESH_SECONDS if waiting and request.GET.get("refresh") != "off" else None,
        }
    template = (
        "reports/csv_import_result.html" if "summary" in context else "reports/csv_import_progress.html"
    )
    response = render(request, template, context)
    if context.get("refresh"):
        # The page asks again by itself, with no JavaScript: the Refresh header, which browsers
        # treat as a meta refresh, keeps the document free of a timed <meta> that axe flags.
        response["Refresh"] = str(context["refresh"])
    return response


@login_required
@require_POST
def csv_import_retry(request, slug, pk):
    report_map = _importable_map(request.user, slug)
    job = _job(report_map, pk)
    if not retry(job):
        messages.info(request, _("This import is not stuck: there is nothing to carry on."))
    return redirect("reports:csv_import_job", report_map.slug, job.pk)


@require_safe
def csv_export_page(request, slug):
    report_map, role = get_map_for_viewer(request.user, slug)
    return render(
        request, "reports/csv_export.html", {"report_map": report_map, "is_reviewer": can_review(role)}
    )


@require_safe
def csv_export(request, slug):
    report_map, role = get_map_for_viewer(request.user, slug)
    hxl = request.GET.get("hxl") in ("1", "on", "true")
    filename = f"{report_map.slug}-reports-{timezone.now():%Y%m%d}.csv"
    response = StreamingHttpResponse(
        stream_csv(report_map, role, hxl=hxl), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A reviewer's file holds contacts, and the same address serves the public file: no cache may keep either.
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("<slug:slug>/import/", csv_import, name="csv_import"),
    path("<slug:slug>/import/<int:pk>/", csv_import_job, name="csv_import_job"),
    path("<slug:slug>/import/<int:pk>/retry/", csv_import_retry, name="csv_import_retry"),
    path("<slug:slug>/export/", csv_export_page, name="csv_export_page"),
    path("<slug:slug>/export.csv", csv_export, name="csv_export"),
]
