"""manage.py import_reports <map-slug> <file>: import an Ushahidi v2 or v3 CSV export into a map.

Shows a progress bar on stderr and prints a summary: imported, skipped (already imported or empty)
and rejected rows, with the row number and the reason for each. Running it again on the same file
imports nothing new. It exits non-zero only when the import could not start (no such map, a file
that cannot be read or is not an Ushahidi export); rejected rows are part of the summary.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from samen.reports.csv_import import DEFAULT_LANGUAGES, CsvFormatError, Outcome, import_reports
from samen.reports.models import ReportMap


def _labels() -> dict[str, str]:
    return {
        Outcome.DUPLICATE: _("skipped"),
        Outcome.EMPTY: _("skipped"),
        Outcome.REJECTED: _("rejected"),
        Outcome.WARNING: _("warning"),
    }


class Command(BaseCommand):
    help = "Import an Ushahidi v2 or v3 CSV export into a report map."

    def add_arguments(self, parser):
        parser.add_argument("map_slug", help="the web address (slug) of the report map")
        parser.add_argument("file", help="the CSV file exported from Ushahidi")
        parser.add_argument(
            "--languages",
            default=",".join(DEFAULT_LANGUAGES),
            help="language codes of the parts of category names such as 'Urgences | Emergency' "
            "(default: %(default)s)",
        )

        parser.add_argument(
            "--time-zone",
            default="",
            help="where the file's dates without a zone were written, such as America/Port-au-Prince "
            "(default: the map's time zone)",
        )
        parser.add_argument(
            "--source",
            default="",
            help="the Ushahidi deployment the file comes from, such as haiti.ushahidi.com: report "
            "numbers from different deployments never clash",
        )

    def handle(self, *args, **options):
        try:
            report_map = ReportMap.objects.get(slug=options["map_slug"])
        except ReportMap.DoesNotExist:
            raise CommandError(
                _("There is no report map with the web address “%(slug)s”.") % {"slug": options["map_slug"]}
            ) from None
        try:
            with open(options["file"], "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s.")
                % {"file": options["file"], "error": error.strerror or error}
            ) from error
        languages = [code.strip().lower() for code in options["languages"].split(",") if code.strip()]

        # tqdm redraws its line with carriage returns; Django's OutputWrapper would add a newline to
        # every write, so the bar gets the raw stream.
        stream = options.get("stderr") or sys.stderr
        bar = tqdm(file=stream, unit="row", desc=_("Importing"), dynamic_ncols=True, mininterval=0.2)

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.reset(total=total)
            bar.update(done - bar.n)

        try:
            summary = import_reports(
                report_map,
                data,
                filename=options["file"],
                languages=languages,
                time_zone=options["time_zone"] or None,
                source=options["source"],
                progress=progress,
            )
        except CsvFormatError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()

        labels = _labels()
        self.stdout.write(
            _("%(file)s: %(rows)d rows, read as %(format)s (%(encoding)s).")
            % {
                "file": summary.filename,
                "rows": summary.rows,
                "format": summary.format,
                "encoding": summary.encoding,
            }
        )
        for note in summary.notes:
            self.stdout.write(f"  {note}")
        for problem in summary.problems:
            self.stdout.write(
                "  "
                + _("row %(row)d: %(outcome)s: %(message)s")
                % {"row": problem.row, "outcome": labels[problem.outcome], "message": problem.message}
            )
        if summary.categories_created:
            self.stdout.write(
                _("New categories: %(names)s") % {"names": ", ".join(summary.categories_created)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(imported)d, skipped %(duplicates)d duplicates and %(empty)d empty rows, "
                    "rejected %(rejected)d, of %(rows)d rows (%(warnings)d imported with a warning)."
                )
                % {
                    "imported": summary.imported,
                    "duplicates": summary.duplicates,
                    "empty": summary.empty,
                    "rejected": summary.rejected,
                    "rows": summary.rows,
                    "warnings": summary.warnings,
                }
            )
        )
