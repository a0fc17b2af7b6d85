"""CSV in and out of a report map: the import page for coordinators, and the streamed export.

Who may do what, through the access helpers:
- import: coordinators only (get_map_for_coordinator), and only while the map's "import" channel
  is on (off → 404, like any switched-off feature);
- export: anyone who may see the map (get_map_for_viewer); reviewers get every report with the
  reporter's contact and original text, everyone else published reports without them.
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from samen.core.forms import TagListField

from ..access import can_review, get_map_for_coordinator, get_map_for_viewer
from ..csv_export import stream_csv
from ..csv_import import DEFAULT_LANGUAGES, CsvFormatError, Outcome, import_reports
from ..models import ReportMap

# The result page lists problems row by row; past this many it says how many more there are,
# so that a 50,000-row file with a bad column does not make a page too heavy for 2G.
SHOWN_PROBLEMS = 500
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
        return upload

    def clean_languages(self):
        languages = [language.lower() for language in self.cleaned_data["languages"]]
        wrong = [language for language in languages if not LANGUAGE_CODE.match(language)]
        if wrong:
            raise forms.ValidationError(
                _("“%(code)s” is not a language code such as fr, en or ht.") % {"code": wrong[0]}
            )
        return languages or list(DEFAULT_LANGUAGES)


def _importable_map(user, slug: str) -> ReportMap:
    report_map, _role = get_map_for_coordinator(user, slug)
    if not report_map.accepts(ReportMap.Channel.IMPORT):
        raise Http404("CSV import is off for this map")
    return report_map


@login_required
@require_http_methods(["GET", "POST"])
def csv_import(request, slug):
    report_map = _importable_map(request.user, slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = import_reports(
                report_map,
                upload.read(),
                filename=upload.name,
                actor=request.user,
                languages=form.cleaned_data["languages"],
            )
        except CsvFormatError as error:
            form.add_error("file", str(error))
        else:
            outcomes = {
                Outcome.DUPLICATE: _("Skipped"),
                Outcome.EMPTY: _("Skipped"),
                Outcome.REJECTED: _("Rejected"),
                Outcome.WARNING: _("Imported, with a warning"),
            }
            # Rendered, not redirected: the row-by-row report is only worth keeping on screen.
            # Sending the form again is harmless, since the import skips rows it already has.
            return render(
                request,
                "reports/csv_import_result.html",
                {
                    "report_map": report_map,
                    "summary": summary,
                    "problems": [
                        (problem.row, outcomes[problem.outcome], problem.message)
                        for problem in summary.problems[:SHOWN_PROBLEMS]
                    ],
                    "hidden_problems": max(0, len(summary.problems) - SHOWN_PROBLEMS),
                },
            )
    return render(request, "reports/csv_import.html", {"report_map": report_map, "form": form})


@require_GET
def csv_export_page(request, slug):
    report_map, role = get_map_for_viewer(request.user, slug)
    return render(
        request, "reports/csv_export.html", {"report_map": report_map, "is_reviewer": can_review(role)}
    )


@require_GET
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
    path("<slug:slug>/export/", csv_export_page, name="csv_export_page"),
    path("<slug:slug>/export.csv", csv_export, name="csv_export"),
]
