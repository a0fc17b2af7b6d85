"""manage.py samen_restore <archive>: load a samen_backup archive into a new, migrated, empty site."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from samen.core import backup
from samen.core.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Load a samen_backup archive into this site: its database must be new (created, then "
        "`manage.py migrate` with the Samen version the backup was made with) and its media folders empty. "
        "Every table's row count and every file's checksum are checked before anything is committed."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="A zip file written by samen_backup.")

    def handle(self, *args, archive, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        stream = options.get("stderr") or sys.stderr
        with progress_bar(stream, _("Restore"), "item") as progress:
            try:
                summary = backup.restore(path, progress=progress)
            except backup.BackupError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "Restored %(rows)d rows in %(tables)d tables and %(files)d files from %(path)s; every table "
                "has the archive's row count and every file its checksum."
            )
            % {"rows": summary.rows, "tables": summary.tables, "files": summary.files, "path": path}
        )
