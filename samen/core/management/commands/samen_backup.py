"""manage.py samen_backup <archive>: the whole site (database, uploads, private files) in one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from samen.core import backup


class Command(BaseCommand):
    help = (
        "Write the database, the uploaded images and the private files (evidence) to one zip archive, "
        "which samen_restore loads into a new site. The site may keep running meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive", help="The file to write, e.g. samen-2026-12-08.zip; it must not exist."
        )

    def handle(self, *args, archive, **options):
        path = Path(archive)
        if path.exists():
            raise CommandError(
                _("%(path)s exists already; a backup never overwrites a file.") % {"path": path}
            )
        if not path.parent.is_dir():
            raise CommandError(_("There is no folder %(folder)s.") % {"folder": path.parent})
        summary = backup.run_for_command(backup.backup, path, _("Backup"), options)
        self.stdout.write(
            _("Wrote %(path)s: %(rows)d rows in %(tables)d tables, %(files)d files (%(size).1f MB).")
            % {
                "path": path,
                "rows": summary.rows,
                "tables": summary.tables,
                "files": summary.files,
                "size": path.stat().st_size / 1_048_576,
            }
        )
