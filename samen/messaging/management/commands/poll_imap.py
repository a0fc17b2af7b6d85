"""Fetch unseen e-mail from an IMAP mailbox and store each message (run it from cron).

    manage.py poll_imap                         # every inbound_email channel with an "imap" config
    manage.py poll_imap --channel 7             # one channel
    manage.py poll_imap --host imap.example.org --user reports@example.org --folder INBOX
                                                # a mailbox given here; the password comes from
                                                # --password or SAMEN_IMAP_PASSWORD

Each message is stored first and marked \\Seen only after that, so a crash in between means it
is fetched again next time, and the Message-ID makes the second copy a no-op.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from samen.messaging.gateways.inbound_email import KIND, receive_email
from samen.messaging.models import Channel


@dataclass
class Mailbox:
    host: str
    user: str
    password: str
    port: int = 993
    ssl: bool = True
    folder: str = "INBOX"
    channel: Channel | None = None

    @classmethod
    def from_channel(cls, channel: Channel) -> Mailbox:
        config = (channel.config or {}).get("imap") or {}
        if not config.get("host") or not config.get("user"):
            raise CommandError(f"channel {channel.pk} has no IMAP host and user in its settings")
        ssl = bool(config.get("ssl", True))
        return cls(
            host=config["host"],
            user=config["user"],
            password=config.get("password", ""),
            port=int(config.get("port") or (993 if ssl else 143)),
            ssl=ssl,
            folder=config.get("folder") or "INBOX",
            channel=channel,
        )


class Command(BaseCommand):
    help = "Fetch unseen e-mail over IMAP, store each message, and mark it seen (run from cron)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--channel", type=int, help="An inbound_email channel whose settings hold the mailbox."
        )
        parser.add_argument("--host")
        parser.add_argument("--port", type=int)
        parser.add_argument("--user")
        parser.add_argument("--password", help="Better: the SAMEN_IMAP_PASSWORD environment variable.")
        parser.add_argument("--folder", default="INBOX")
        parser.add_argument(
            "--no-ssl", action="store_true", help="Plain IMAP (port 143), for a local server."
        )
        parser.add_argument("--limit", type=int, default=200, help="At most this many messages per mailbox.")
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, **options):
        mailboxes = self._mailboxes(options)
        if not mailboxes:
            self.stdout.write("no IMAP mailbox is configured")
            return
        failures = 0
        for mailbox in mailboxes:
            try:
                stored, repeated = poll(mailbox, limit=options["limit"], timeout=options["timeout"])
            except (imaplib.IMAP4.error, OSError) as exc:
                failures += 1
                self.stderr.write(f"{mailbox.user}@{mailbox.host}: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(
                f"{mailbox.user}@{mailbox.host}/{mailbox.folder}: {stored} new, {repeated} already stored"
            )
        if failures:
            raise CommandError(f"{failures} mailbox(es) could not be read")

    def _mailboxes(self, options) -> list[Mailbox]:
        if options["host"]:
            if not options["user"]:
                raise CommandError("--user is required with --host")
            ssl = not options["no_ssl"]
            return [
                Mailbox(
                    host=options["host"],
                    user=options["user"],
                    password=options["password"] or os.environ.get("SAMEN_IMAP_PASSWORD", ""),
                    port=options["port"] or (993 if ssl else 143),
                    ssl=ssl,
                    folder=options["folder"],
                    channel=Channel.objects.filter(pk=options["channel"], kind=KIND).first()
                    if options["channel"]
                    else None,
                )
            ]
        channels = Channel.objects.filter(kind=KIND)
        if options["channel"]:
            channel = channels.filter(pk=options["channel"]).first()
            if channel is None:
                raise CommandError(f"there is no {KIND} channel {options['channel']}")
            return [Mailbox.from_channel(channel)]
        return [Mailbox.from_channel(channel) for channel in channels if (channel.config or {}).get("imap")]


def poll(mailbox: Mailbox, *, limit: int = 200, timeout: float = 30.0) -> tuple[int, int]:
    """Store the mailbox's unseen messages; returns (new, already stored)."""
    connection: imaplib.IMAP4
    if mailbox.ssl:
        connection = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=timeout)
    else:
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
    try:
        connection.login(mailbox.user, mailbox.password)
        status, _ = connection.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder}")
        return store_unseen(connection, mailbox.channel, limit=limit)
    finally:
        # The work is done; a server that hangs up first is no reason to fail.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()


def store_unseen(connection: imaplib.IMAP4, channel: Channel | None, *, limit: int) -> tuple[int, int]:
    """Store the selected folder's unseen messages, whatever their bytes; returns (new, already stored)."""
    stored = repeated = 0
    # UIDs, not sequence numbers: they stay put while another client expunges.
    status, data = connection.uid("SEARCH", "UNSEEN")
    if status != "OK":
        raise imaplib.IMAP4.error("SEARCH UNSEEN failed")
    uids = [uid.decode() for uid in (data[0] or b"").split()[:limit]]
    for uid in uids:
        raw = _fetch(connection, uid)
        if raw is None:
            continue
        _message, created = receive_email(raw, channel=channel)
        if created:
            stored += 1
        else:
            repeated += 1
        connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    return stored, repeated


def _fetch(connection: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK leaves \Seen alone: the flag is set only once the message is safely stored.
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def _quoted(folder: str) -> str:
    # Folder names may contain spaces ("Crowd reports"); IMAP wants those quoted.
    return folder if folder.startswith('"') else '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
