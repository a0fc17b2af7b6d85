"""Receive inbound messages from any gateway: store the raw payload first, route it in the background.

Gateways retry (phones resend, webhooks redeliver), so `receive` is idempotent on
"<gateway>:<the gateway's own message id>". It does as little as it can, because it runs inside
the provider's webhook: one INSERT of the raw message and one task to route it. When the tasks
live in the same database (django-tasks-db, the default), both rows go in one transaction: one
write lock and one commit per message instead of two, and never a message without its task. Any
other failure there falls back to storing the raw message alone first, so it is never lost.
Routing (the router, the feature app's handler, its replies) is `samen.messaging.tasks.route`,
which is safe to run twice.

What arrives is never refused for its content. Text goes into the columns made safe for every
database (`safe_text`: PostgreSQL refuses NUL, and no database stores a lone surrogate), a
provider's id of any length or content becomes a key that fits (`idempotency_key`), and the raw
payload is kept so that the original can be had back exactly (`InboundMessage.payload()`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from email.utils import parseaddr

from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction

from samen.messaging.models import Channel, InboundMessage

logger = logging.getLogger(__name__)

_LIMITS = {
    name: getattr(InboundMessage._meta.get_field(name), "max_length", None)
    for name in ("sender", "recipient", "subject", "idempotency_key")
}
# What no database column can hold: NUL (PostgreSQL's text refuses it) and UTF-16 surrogates,
# which in a Python string are always lone (a JSON "\ud800", bytes read with surrogateescape).
_UNSAFE = re.compile(r"[\x00\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A key made from a hash starts with this; a provider's own id that does is hashed as well, so
# the two kinds of key can never meet.
HASHED = "#"


def receive(
    gateway: str,
    external_id: str,
    *,
    sender: str,
    body: str,
    raw,
    recipient: str = "",
    subject: str = "",
    channel: Channel | None = None,
) -> tuple[InboundMessage, bool]:
    """Store one inbound message and enqueue its routing; returns (message, created).

    `raw` is the payload exactly as the gateway sent it (str, bytes, or a dict/list that is kept
    as JSON). A repeat delivery returns the stored message with created=False and enqueues nothing.
    The routing task is enqueued when the caller's transaction commits (at once, outside one).
    """
    if not external_id:
        raise ValueError("the gateway's message id is required for idempotency")
    key = idempotency_key(gateway, external_id)
    raw_text, raw_encoding = _raw_text(raw)
    message = InboundMessage(
        idempotency_key=key,
        gateway=gateway,
        channel=channel,
        sender=_fit(sender, "sender"),
        recipient=_fit(recipient, "recipient"),
        subject=_fit(subject, "subject"),
        body=safe_text(body or ""),
        raw=raw_text,
        raw_encoding=raw_encoding,
    )
    from samen.messaging.tasks import route

    # Prepared before any transaction: with SQLite every other writer waits while this one holds
    # the lock, so inside it there is only the INSERT itself (and the task's).
    row = _row(message)
    if not transaction.get_connection().in_atomic_block and _tasks_in_this_database(route):
        try:
            # The message and its task in one transaction (see the module's docstring).
            with transaction.atomic():
                _execute_insert(message, row)
                route.enqueue(message.pk)
            return message, True
        except IntegrityError:
            existing = InboundMessage.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing, False
            logger.exception("storing inbound message %s with its task failed; storing it alone", key)
        except DatabaseError:
            logger.exception("storing inbound message %s with its task failed; storing it alone", key)
        # Rolled back: store the raw message on its own, as below.
        message.pk = None
        message._state.adding = True

    try:
        # Insert first and look only when that fails: a new message (the common case) costs one
        # INSERT, and the unique key, not a look-up that could race, decides who stored it.
        _insert(message, row)
    except IntegrityError:
        existing = InboundMessage.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise  # some other constraint failed: that is a bug, not a retry
        return existing, False

    pk = message.pk
    # After commit: the worker must find the row, and a rolled-back caller must route nothing.
    transaction.on_commit(lambda: route.enqueue(pk))
    return message, True


def _tasks_in_this_database(task) -> bool:
    """Whether the task's backend keeps its queue in Samen's own database (django-tasks-db)."""
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - it is installed with Samen
        return False
    return isinstance(task.get_backend(), DatabaseBackend)


def _insert(message: InboundMessage, row: list) -> None:
    if transaction.get_connection().in_atomic_block:
        # Inside a caller's transaction, a savepoint keeps a lost race from breaking it.
        with transaction.atomic():
            _execute_insert(message, row)
    else:
        # Outside one (a webhook), the INSERT is its own transaction: one statement that takes
        # SQLite's write lock and lets go of it inside the database library. A BEGIN … COMMIT
        # around it would hold the lock across three calls, and between them this thread may
        # wait for the GIL while every other writer waits for it.
        _execute_insert(message, row)


# The columns of a new message: every concrete field but the primary key (InboundMessage has no
# save() of its own, no auto_now field and no signal receivers, so an INSERT is all save() does).
_COLUMNS = [field for field in InboundMessage._meta.concrete_fields if not field.primary_key]
_statements: dict[str, str] = {}


def _row(message: InboundMessage) -> list:
    """The message's values for the INSERT, converted for the database as save() converts them."""
    connection = transaction.get_connection()
    return [field.get_db_prep_save(getattr(message, field.attname), connection) for field in _COLUMNS]


def _execute_insert(message: InboundMessage, row: list) -> None:
    """INSERT the message as save(force_insert=True) would, without compiling a query each time.

    This runs inside SQLite's write lock on every inbound request (and so once per text in a
    crisis); the statement is built once per database and the values before the lock is taken.
    """
    connection = transaction.get_connection()
    returning = connection.features.can_return_columns_from_insert
    sql = _statements.get(connection.alias)
    if sql is None:
        quote = connection.ops.quote_name
        table = quote(InboundMessage._meta.db_table)
        columns = ", ".join(quote(field.column) for field in _COLUMNS)
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - model names
        if returning:
            sql += f" RETURNING {quote(InboundMessage._meta.pk.column)}"
        _statements[connection.alias] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, row)
        if returning:
            pk = cursor.fetchone()[0]
        else:  # pragma: no cover - SQLite before 3.35
            pk = connection.ops.last_insert_id(cursor, InboundMessage._meta.db_table, "id")
    message.pk = pk
    message._state.adding = False
    message._state.db = connection.alias


def member_for(sender: str):
    """The member the sender's address or number belongs to, if exactly one does."""
    sender = (sender or "").strip()
    if not sender:
        return None
    Member = get_user_model()
    address = parseaddr(sender)[1]
    if "@" in address:
        matches = Member.objects.filter(email__iexact=address)
    else:
        matches = Member.objects.filter(phone=sender)
    found = list(matches[:2])
    return found[0] if len(found) == 1 else None


def safe_text(value: str, *, nul: str = "\ufffd") -> str:
    """`value` as any database stores it: NUL becomes `nul`, a lone surrogate U+FFFD.

    SMS gateways pass nul="@": GSM 03.38 puts "@" at 0x00, and gateways that forget to map it
    hand that NUL on. The exact original stays in the raw payload.
    """
    if not _UNSAFE.search(value):
        return value
    return _UNSAFE.sub(lambda found: nul if found.group() == "\x00" else "\ufffd", value)


def idempotency_key(gateway: str, external_id: str) -> str:
    """The key of a message: "<gateway>:<id>" for a short, clean id, else "<gateway>:#<sha256 of it>".

    A provider's id may be longer than the column or hold what no column stores; its hash keeps
    one key per id without collisions (a clean id that starts with "#" is hashed too).
    """
    room = (_LIMITS["idempotency_key"] or 255) - len(gateway) - 1
    if len(external_id) <= room and not external_id.startswith(HASHED) and not _UNSAFE.search(external_id):
        return f"{gateway}:{external_id}"
    digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{gateway}:{HASHED}{digest}"


def _raw_text(raw) -> tuple[str, str]:
    """The raw payload as (text for the column, its encoding: "" or "base64"); nothing is lost.

    Text and JSON are kept as text; bytes are kept as text when they are clean UTF-8, else in
    base64. JSON escapes NUL itself, and lone surrogates (bytes a gateway read with
    surrogateescape, a JSON "\\ud800") are written as \\u escapes, so json.loads gives them back.
    """
    if isinstance(raw, str):
        if not _UNSAFE.search(raw):
            return raw, ""
        raw = raw.encode("utf-8", "surrogatepass")
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            return text, ""
        return base64.b64encode(raw).decode("ascii"), "base64"
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    if _SURROGATE.search(text):
        text = json.dumps(raw, ensure_ascii=True, sort_keys=True, default=str)
    return text, ""


def _fit(value: str, field: str) -> str:
    # Headers from the outside world can be longer than our columns; the full text stays in `raw`.
    return safe_text(value or "")[: _LIMITS[field]]
