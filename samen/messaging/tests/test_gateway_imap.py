"""`manage.py poll_imap` against a small IMAP4rev1 server on 127.0.0.1 that speaks the real wire format."""

import shlex
import socketserver
import threading

import pytest
from django.core.management import CommandError, call_command

from samen.messaging.gateways import get_gateway
from samen.messaging.gateways.inbound_email import receive_email
from samen.messaging.models import Channel, InboundMessage
from samen.messaging.tests.payloads import raw

pytestmark = pytest.mark.django_db

USER, PASSWORD = "reports@samen.example", 'pa ss"word'


def second_email() -> bytes:
    return (
        b"From: Otieno <otieno@example.org>\r\n"
        b"To: reports@samen.example\r\n"
        b"Subject: Dry tap\r\n"
        b"Date: Wed, 12 Jun 2024 14:00:00 +0300\r\n"
        b"Message-ID: <dry-tap-1@example.org>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"The tap at Makina has been dry for a week.\r\n"
    )


class ImapHandler(socketserver.StreamRequestHandler):
    """One client connection: the commands imaplib sends for login, select, search, fetch and store."""

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self):
        box = self.server.mailbox  # type: ignore[attr-defined]
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake IMAP ready")
        authenticated = False
        while line := self.rfile.readline():
            tag, command, *rest = line.decode().rstrip("\r\n").split(" ", 2)
            args = shlex.split(rest[0]) if rest else []
            command = command.upper()
            box.commands.append(command if command != "UID" else f"UID {args[0].upper()}")
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                authenticated = args == [USER, PASSWORD]
                self.send(
                    f"{tag} OK LOGIN completed" if authenticated else f"{tag} NO [AUTHENTICATIONFAILED] nope"
                )
            elif command == "SELECT" and authenticated:
                self.send(f"* {len(box.messages)} EXISTS")
                self.send("* FLAGS (\\Seen)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif command == "UID" and authenticated:
                self.uid(tag, args, box)
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unexpected {command}")

    def uid(self, tag, args, box):
        sub = args[0].upper()
        if sub == "SEARCH":
            unseen = [str(uid) for uid, item in box.messages.items() if "\\Seen" not in item["flags"]]
            self.send("* SEARCH " + " ".join(unseen) if unseen else "* SEARCH")
        elif sub == "FETCH":
            uid = int(args[1])
            seq = list(box.messages).index(uid) + 1
            body = box.messages[uid]["raw"]
            self.send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(body)}}}".encode() + b"\r\n" + body + b")")
        elif sub == "STORE":
            uid = int(args[1])
            box.messages[uid]["flags"].add("\\Seen")
            seq = list(box.messages).index(uid) + 1
            self.send(f"* {seq} FETCH (UID {uid} FLAGS (\\Seen))")
        self.send(f"{tag} OK UID {sub} completed")


class Mailbox:
    def __init__(self, messages: dict[int, bytes], seen: set[int] = frozenset()):  # type: ignore[assignment]
        self.messages = {
            uid: {"raw": body, "flags": {"\\Seen"} if uid in seen else set()}
            for uid, body in messages.items()
        }
        self.commands: list[str] = []


@pytest.fixture
def imap_server():
    servers = []

    def start(mailbox: Mailbox) -> int:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), ImapHandler)
        server.daemon_threads = True
        server.mailbox = mailbox  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def poll(port, **options):
    call_command(
        "poll_imap",
        host="127.0.0.1",
        port=port,
        user=USER,
        password=PASSWORD,
        no_ssl=True,
        timeout=5,
        **options,
    )


def test_unseen_messages_are_stored_and_then_marked_seen(imap_server):
    box = Mailbox(
        {7: raw("email_with_photo.eml"), 8: second_email(), 9: b"Subject: old\r\n\r\nalready read\r\n"},
        seen={9},
    )
    poll(imap_server(box))
    assert set(InboundMessage.objects.values_list("idempotency_key", flat=True)) == {
        "inbound_email:CAB7w3Zx1q2W9e8R7t6Y5u4I3o2P1a0S9d8F7g6H5j4K3l2@mail.example.org",
        "inbound_email:dry-tap-1@example.org",
    }
    assert all("\\Seen" in item["flags"] for item in box.messages.values())
    # Peeked, stored, then flagged: never the other way round.
    assert box.commands.index("UID FETCH") < box.commands.index("UID STORE")


def test_a_second_run_finds_nothing_new(imap_server):
    box = Mailbox({7: raw("email_with_photo.eml")})
    port = imap_server(box)
    poll(port)
    box.commands.clear()
    poll(port)
    assert InboundMessage.objects.count() == 1
    assert "UID FETCH" not in box.commands


def test_a_message_left_unseen_after_a_crash_is_not_stored_twice(imap_server):
    receive_email(raw("email_with_photo.eml"))  # stored before the crash, never flagged
    box = Mailbox({7: raw("email_with_photo.eml")})
    poll(imap_server(box))
    assert InboundMessage.objects.count() == 1
    assert "\\Seen" in box.messages[7]["flags"]


def test_attachments_are_kept_in_the_stored_message(imap_server):
    poll(imap_server(Mailbox({7: raw("email_with_photo.eml")})))
    message = InboundMessage.objects.get()
    media = get_gateway("inbound_email").media(message)
    assert [(m.name, m.content) for m in media] == [("water-point.jpg", raw("photo.jpg"))]


def test_the_mailbox_can_come_from_a_channel(imap_server):
    port = imap_server(Mailbox({8: second_email()}))
    channel = Channel.objects.create(
        kind="inbound_email",
        name="Reports mailbox",
        config={
            "imap": {"host": "127.0.0.1", "port": port, "ssl": False, "user": USER, "password": PASSWORD}
        },
    )
    call_command("poll_imap", channel=channel.pk, timeout=5)
    assert InboundMessage.objects.get().channel == channel


def test_a_wrong_password_fails_the_command(imap_server):
    port = imap_server(Mailbox({8: second_email()}))
    with pytest.raises(CommandError, match="could not be read"):
        call_command(
            "poll_imap", host="127.0.0.1", port=port, user=USER, password="wrong", no_ssl=True, timeout=5
        )
    assert InboundMessage.objects.count() == 0


def test_without_any_mailbox_it_says_so(capsys):
    call_command("poll_imap")
    assert "no IMAP mailbox" in capsys.readouterr().out
