"""One archive holds a whole Samen site: every table, the public uploads and the private files.

`manage.py samen_backup <archive>` writes it; `manage.py samen_restore <archive>` reads it back into a new,
migrated, empty database (README "Backup and restore" has the procedure). The archive is a zip file:

- `manifest.json`: the format, when and from which database it was made, the migrations applied, and for
  every table its columns and row count, and for every file its size and SHA-256;
- `database/<app>.<model>.jsonl`: one JSON array of column values per row, in primary-key order;
- `media/…` and `private-media/…`: the files of the two storages (`default_storage`, `private_storage`).

The rows are written through Django's fields rather than with a vendor's dump tool, so one archive restores
on SQLite and on PostgreSQL alike, whichever it was made on. The tables that are not Django models (the map
summaries and the category tree kept by triggers, the search index) are derived data: the triggers rebuild
them as the rows go in, so the restored site counts exactly what the old one did.

A backup reads one consistent snapshot of the database (a REPEATABLE READ transaction on PostgreSQL, a
read transaction on SQLite in WAL mode), so the site keeps running while it is made. Files uploaded while
it runs may be in it or not; a file deleted meanwhile (a replaced image) is left out.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

from .progress import progress_bar
from .storage import private_storage

FORMAT = "samen-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
CHUNK = 1024 * 1024
# The rows that `migrate` itself writes into a new database; a restore replaces them with the archive's.
MADE_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission", "sites.site"}

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


def storages() -> dict[str, Storage]:
    return {"media": default_storage, "private-media": private_storage}


# --- What is in a database -------------------------------------------------------------------------


def tables() -> list[type[models.Model]]:
    """Every table Django manages (many-to-many tables too), each after the tables it points at.

    Cycles between tables are left to the foreign keys, which Django creates deferred to the commit;
    a table that points at itself is handled by `restore` (`self_references`).
    """
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    known = set(found)
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()

    def place(model, visiting: frozenset) -> None:
        if model in placed or model in visiting:
            return
        for column in columns(model):
            target = column.related_model if column.is_relation else None
            if target is not None and target is not model and target in known:
                place(target, visiting | {model})
        placed.add(model)
        ordered.append(model)

    for model in sorted(found, key=lambda m: m._meta.label_lower):
        place(model, frozenset())
    return ordered


def columns(model) -> list[models.Field]:
    return [column for column in model._meta.local_concrete_fields if not getattr(column, "generated", False)]


def self_references(model) -> list[models.Field]:
    """Nullable foreign keys to the same table: filled in after every row is in, so that triggers that
    read a row's parent (the category tree) always find it, whatever order the rows came in."""
    return [c for c in columns(model) if c.is_relation and c.related_model is model and c.null]


def applied_migrations(connection) -> list[str]:
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def encode(column: models.Field, value):
    """A value as read through the ORM, as JSON; `decode` turns it back."""
    if value is None or isinstance(column, models.JSONField) or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise BackupError(
        f"{column.model._meta.label}.{column.name} holds a {type(value).__name__}; add it to encode()."
    )


def decode(column: models.Field, value, connection):
    """A JSON value from the archive, ready for the database."""
    if isinstance(column, models.JSONField):
        if value is None and not column.null:
            return connection.ops.adapt_json_value(None, column.encoder)  # JSON null, not SQL NULL
        return column.get_db_prep_save(value, connection)
    if value is None:
        return None
    if isinstance(column, models.BinaryField):
        return base64.b64decode(value)
    return column.get_db_prep_save(column.to_python(value), connection)


# --- Writing an archive ----------------------------------------------------------------------------


@contextmanager
def snapshot(connection) -> Iterator[None]:
    """Every query inside sees the database as it was when the first one ran."""
    if connection.in_atomic_block:
        yield  # the caller's transaction (a test's, say) is the snapshot
    elif connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # A deferred transaction only reads: writers go on (WAL) while it sees its snapshot. Django's
        # atomic() would begin IMMEDIATE (settings.py) and hold the write lock for the whole backup.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic(using=connection.alias):
            yield


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from stored_files(storage, f"{folder}/{name}" if folder else name)


@dataclass
class Summary:
    rows: int = 0
    tables: int = 0
    files: int = 0
    bytes: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def backup(archive: Path, *, progress: Progress | None = None, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write the database and both storages to `archive` (a new file), and return what went in."""
    progress = progress or (lambda done, total: None)
    connection = connections[using]
    partial = archive.with_name(archive.name + ".partial")
    summary = Summary()
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            with snapshot(connection):
                order = tables()
                counts = {m._meta.label: m._base_manager.using(using).count() for m in order}
                listed = {kind: list(stored_files(storage)) for kind, storage in storages().items()}
                total = sum(counts.values()) + sum(len(names) for names in listed.values())
                migrations = applied_migrations(connection)
                table_entries = [
                    {
                        "model": model._meta.label,
                        "table": model._meta.db_table,
                        "columns": [c.column for c in columns(model)],
                        "rows": _write_table(zf, model, using, summary, lambda n: progress(n, total)),
                    }
                    for model in order
                ]
            file_entries = {}
            for kind, names in listed.items():
                written = (
                    _write_file(zf, kind, storages()[kind], name, summary, lambda n: progress(n, total))
                    for name in names
                )
                file_entries[kind] = [entry for entry in written if entry]
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "vendor": connection.vendor,
                "migrations": migrations,
                "tables": table_entries,
                "files": file_entries,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    summary.tables = len(table_entries)
    return summary


def _write_table(zf, model, using, summary: Summary, progress) -> int:
    fields = columns(model)
    rows = model._base_manager.using(using).order_by("pk").values_list(*[c.attname for c in fields])
    written = 0
    with zf.open(f"database/{model._meta.label}.jsonl", "w", force_zip64=True) as raw:
        for row in rows.iterator(chunk_size=BATCH):
            line = json.dumps([encode(c, v) for c, v in zip(fields, row, strict=True)], ensure_ascii=False)
            raw.write(line.encode("utf-8") + b"\n")
            written += 1
            if written % BATCH == 0:
                progress(summary.rows + written)
    summary.rows += written
    summary.counts[model._meta.label] = written
    progress(summary.rows)
    return written


def _write_file(zf, kind: str, storage: Storage, name: str, summary: Summary, progress) -> dict | None:
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo(f"{kind}/{name}", date_time=timezone.now().timetuple()[:6])
    # Uploads are mostly compressed images already; deflating them again costs time and saves nothing.
    info.compress_type = zipfile.ZIP_STORED
    try:
        source = storage.open(name, "rb")
    except FileNotFoundError:
        return None  # deleted since it was listed (a replaced image)
    with source, zf.open(info, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    summary.files += 1
    summary.bytes += size
    progress(summary.rows + summary.files)
    return {"name": name, "size": size, "sha256": digest.hexdigest()}


# --- Reading an archive back -----------------------------------------------------------------------


def read_manifest(zf: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError("This is not a Samen backup: it has no manifest.json.") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"This archive is not a {FORMAT} of version {VERSION}.")
    return manifest


def restore(archive: Path, *, progress: Progress | None = None, using: str = DEFAULT_DB_ALIAS) -> Summary:
    """Load `archive` into this site's database and storages, which must be new: migrated, and empty.

    Everything happens in one transaction, which commits only when every table holds the archive's row
    count and every file its checksum; anything less leaves the database as it was.
    """
    progress = progress or (lambda done, total: None)
    connection = connections[using]
    summary = Summary()
    with zipfile.ZipFile(archive) as zf:
        manifest = read_manifest(zf)
        by_label = {m._meta.label: m for m in tables()}
        _check_target(manifest, by_label, connection, using)
        total = sum(t["rows"] for t in manifest["tables"]) + sum(len(f) for f in manifest["files"].values())
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                for label in MADE_BY_MIGRATE:
                    table = connection.ops.quote_name(apps.get_model(label)._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's table name
            for entry in manifest["tables"]:
                _load_table(
                    zf, by_label[entry["model"]], entry, connection, summary, lambda n: progress(n, total)
                )
            statements = connection.ops.sequence_reset_sql(no_style(), list(by_label.values()))
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            for kind, entries in manifest["files"].items():
                for entry in entries:
                    _load_file(zf, kind, entry)
                    summary.files += 1
                    summary.bytes += entry["size"]
                    progress(summary.rows + summary.files, total)
            for entry in manifest["tables"]:
                found = by_label[entry["model"]]._base_manager.using(using).count()
                if found != entry["rows"]:
                    raise BackupError(
                        f"{entry['model']}: {found} rows after the restore, {entry['rows']} in the archive."
                    )
    summary.tables = len(manifest["tables"])
    return summary


def _check_target(manifest: dict, by_label: dict, connection, using: str) -> None:
    here = applied_migrations(connection)
    if here != manifest["migrations"]:
        missing = sorted(set(manifest["migrations"]) - set(here))
        extra = sorted(set(here) - set(manifest["migrations"]))
        raise BackupError(
            "This database is not at the archive's migrations: restore with the Samen version the backup "
            f"was made with, then upgrade. Missing here: {', '.join(missing) or 'none'}; "
            f"not in the archive: {', '.join(extra) or 'none'}."
        )
    for entry in manifest["tables"]:
        model = by_label.get(entry["model"])
        if model is None or [c.column for c in columns(model)] != entry["columns"]:
            raise BackupError(f"{entry['model']} has other columns here than in the archive.")
    holding = [
        label
        for label, model in by_label.items()
        if label.lower() not in MADE_BY_MIGRATE and model._base_manager.using(using).exists()
    ]
    if holding:
        raise BackupError(
            "The database is not empty, and a restore never mixes two sites: create a new database, run "
            f"`manage.py migrate`, then restore. Rows found in: {', '.join(sorted(holding)[:10])}."
        )
    for kind, storage in storages().items():
        if next(stored_files(storage), None) is not None:
            raise BackupError(f"The {kind} folder is not empty: restore into an empty one.")


def _load_table(zf, model, entry: dict, connection, summary: Summary, progress) -> None:
    fields = columns(model)
    later = {c.attname for c in self_references(model)}
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c.column) for c in fields)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 - model names
    pk = model._meta.pk
    pk_index = fields.index(pk)
    pending: list[tuple[object, models.Field, object]] = []  # self references: (pk, column, value)
    batch: list[list] = []
    with connection.cursor() as cursor, zf.open(f"database/{entry['model']}.jsonl") as raw:
        for line in raw:
            values = json.loads(line)
            row = []
            for column, value in zip(fields, values, strict=True):
                if column.attname in later and value is not None:
                    pending.append((values[pk_index], column, value))
                    value = None
                row.append(decode(column, value, connection))
            batch.append(row)
            if len(batch) == BATCH:
                cursor.executemany(insert, batch)
                summary.rows += len(batch)
                progress(summary.rows)
                batch = []
        if batch:
            cursor.executemany(insert, batch)
            summary.rows += len(batch)
            progress(summary.rows)
        for key, column, value in pending:
            update = f"UPDATE {table} SET {quote(column.column)} = %s WHERE {quote(pk.column)} = %s"  # noqa: S608
            cursor.execute(update, [decode(column, value, connection), decode(pk, key, connection)])
    summary.counts[model._meta.label] = entry["rows"]


def _load_file(zf, kind: str, entry: dict) -> None:
    name = entry["name"]
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or str(path) != name:
        raise BackupError(f"Refusing the file name {name!r} in the archive.")
    storage = storages()[kind]
    with zf.open(f"{kind}/{name}") as source:
        saved = storage.save(name, File(source, name=path.name))
    if saved != name:
        raise BackupError(f"{kind}/{name} was stored as {saved}: restore into an empty folder.")
    # Read back what was stored, so the check covers the disk as well as the archive.
    digest = hashlib.sha256()
    with storage.open(saved, "rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"{kind}/{name} does not match its checksum in the archive.")


def run_for_command(action: Callable[..., Summary], path: Path, description: str, options: dict) -> Summary:
    """What samen_backup and samen_restore share: a progress bar, and an operator's error as CommandError."""
    # tqdm redraws its line in place; Django's OutputWrapper would add a newline to every write.
    stream = options.get("stderr") or sys.stderr
    with progress_bar(stream, description, "item") as progress:
        try:
            return action(path, progress=progress)
        except BackupError as error:
            raise CommandError(str(error)) from error
