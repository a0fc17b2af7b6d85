"""manage.py samen_restore <archive>: load a samen_backup archive into a new, migrated, empty site."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from samen.core import backup


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
        summary = backup.run_for_command(backup.restore, path, _("Restore"), options)
        self.stdout.write(
            _(
                "Restored %(rows)d rows in %(tables)d tables and %(files)d files from %(path)s; every table "
                "has the archive's row count and every file its checksum."
            )
            % {"rows": summary.rows, "tables": summary.tables, "files": summary.files, "path": path}
        )
