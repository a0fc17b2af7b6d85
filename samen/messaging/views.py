"""Inbound endpoints: one per gateway and configured Channel, at /gateways/<kind>/<channel id>/.

Each view checks the provider's secret or signature, stores the raw message through
`inbox.receive` (idempotent on the provider's message id), and answers in the provider's own
format at once. Routing (a report, an auto-reply) happens afterwards in a task
(`samen.messaging.tasks.route`), so a provider never waits for it and a phone retrying a slow
answer cannot pile up work; replies go out through the same gateway when they are ready. A
request that is unsigned, wrongly signed or malformed gets a 4xx, is logged, and stores nothing.

These views are hot (a crisis is a burst of texts): one SELECT for the channel, one INSERT for
the message and one for its task, and nothing that touches the session or the user. Each is
throttled per channel and sender address (`core.throttle.webhook`, limits `webhook_sms` and
`webhook_email`): past the limit the provider gets 429 with Retry-After and delivers again later.
"""

from __future__ import annotations

import json
import logging
from email.errors import MessageError
from urllib.parse import parse_qsl

from anymail.exceptions import AnymailConfigurationError, AnymailError, AnymailWebhookValidationFailure
from django.conf import settings
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from samen.core import throttle
from samen.core.access import is_key
from samen.messaging.gateways import africastalking, field_text, frontlinesms, inbound_email, smssync
from samen.messaging.gateways import twilio as twilio_gateway
from samen.messaging.inbox import receive, safe_text
from samen.messaging.models import Channel

logger = logging.getLogger(__name__)


class MalformedRequest(ValueError):
    pass


# What the inbound views read of a channel. The rest (its name, health, …) is the deliver task's.
CHANNEL_FIELDS = ("id", "kind", "secret", "config")
_CHANNEL_SQL = "SELECT {} FROM {} WHERE id = %s AND kind = %s".format(  # noqa: S608 - model names
    ", ".join(CHANNEL_FIELDS), Channel._meta.db_table
)
_CONFIG_FIELD = Channel._meta.get_field("config")
# Twilio's answer when the reply goes out later through the REST API (see twilio_endpoint).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
FORM = "application/x-www-form-urlencoded"


def _channel(kind: str, channel_id: int) -> Channel | None:
    # Disabled channels still receive: `enabled` is about sending (a permanent send error turns
    # it off), and a report must not be lost because replies cannot go out.
    # One primary-key SELECT on every inbound request: written out, so that no queryset is
    # compiled for it (a third of the view's own time when it was), read as the ORM reads it.
    if not is_key(channel_id):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_CHANNEL_SQL, [channel_id, kind])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, kind, secret, config = row
    config = _CONFIG_FIELD.from_db_value(config, None, connection)  # type: ignore[arg-type]  # no expression
    return Channel.from_db(connection.alias, CHANNEL_FIELDS, (pk, kind, secret, config))


def _fields(request, *, with_query: bool = False) -> dict:
    """The request's fields from a JSON body or a form (and, if asked, the query string).

    Read without losing a byte: what is not UTF-8 comes through as lone surrogates
    (surrogateescape), which `inbox.safe_text` replaces in the columns and the raw JSON keeps
    as escapes, so `value.encode("utf-8", "surrogateescape")` gives back what arrived. Django's
    own request.POST would have replaced such bytes for good.
    """
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8-sig", "surrogateescape") or "{}")
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json goes
            raise MalformedRequest("The body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise MalformedRequest("The body must be a JSON object")
        return data
    fields: dict = dict(_pairs(get_bytes_from_wsgi(request.META, "QUERY_STRING", ""))) if with_query else {}
    if request.method == "POST":
        if request.content_type == FORM:
            fields.update(_pairs(request.body))
        else:  # multipart (files are not messages: only the fields count)
            fields.update(request.POST.items())
    return fields


def _form(request) -> MultiValueDict:
    """A form POST's fields, every value of each (what Twilio signs), read as _fields reads them."""
    if request.content_type != FORM:
        return request.POST
    form: MultiValueDict[str, str] = MultiValueDict()
    for name, value in _pairs(request.body):
        form.appendlist(name, value)
    return form


def _pairs(data: bytes) -> list[tuple[str, str]]:
    """A form-encoded body or query string as (name, value) pairs, losslessly (see _fields)."""
    try:
        return parse_qsl(
            data.decode("utf-8", "surrogateescape"),
            keep_blank_values=True,
            errors="surrogateescape",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as exc:  # more fields than anyone sends
        raise MalformedRequest("Too many fields") from exc


def _secret_matches(channel: Channel, given) -> bool:
    # A channel without a secret accepts nobody: an open endpoint would take anyone's "reports".
    return bool(channel.secret) and isinstance(given, str) and constant_time_compare(given, channel.secret)


def _refuse(kind: str, channel_id, request, status: int, reason: str) -> None:
    logger.warning(
        "%s channel %s refused a request from %s: %s",
        kind,
        channel_id,
        request.META.get("REMOTE_ADDR"),
        reason,
    )


# --- SMSSync ------------------------------------------------------------------------------------


def _smssync_answer(status: int, error: str | None = None, **extra) -> JsonResponse:
    return JsonResponse({"payload": {"success": error is None, "error": error, **extra}}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@throttle.webhook("webhook_sms")
def smssync_endpoint(request, channel_id: int):
    channel = _channel(smssync.KIND, channel_id)
    if channel is None:
        return _smssync_answer(404, "Unknown channel")
    try:
        fields = _fields(request) if request.method == "POST" else {}
    except MalformedRequest as exc:
        _refuse(smssync.KIND, channel_id, request, 400, str(exc))
        return _smssync_answer(400, str(exc))
    if not _secret_matches(channel, fields.get("secret") or request.GET.get("secret")):
        _refuse(smssync.KIND, channel_id, request, 403, "wrong or missing secret")
        return _smssync_answer(403, "Incorrect or missing secret key")

    task = request.GET.get("task", "")
    if request.method == "GET":
        if task == "send":
            # Messages this phone never confirmed (past their timeout) go out again with this poll.
            smssync.requeue_unconfirmed(channel)
            messages = smssync.hand_out(channel)
            return _smssync_answer(200, task="send", secret=channel.secret, messages=messages)
        return _smssync_answer(200)
    if task == "sent":
        uuids = fields.get("queued_messages")
        if uuids is None:
            uuids = request.POST.getlist("queued_messages")
        if not isinstance(uuids, list):
            return _smssync_answer(400, "queued_messages must be a list of uuids")
        return JsonResponse({"message_uuids": smssync.mark_sent(channel, uuids)})

    try:
        incoming = smssync.parse_incoming(fields)
    except smssync.PayloadError as exc:
        _refuse(smssync.KIND, channel_id, request, 400, str(exc))
        return _smssync_answer(400, str(exc))
    receive(smssync.KIND, channel=channel, **incoming)
    # Whatever is queued for this phone rides along: the replies to earlier texts, routed since.
    # The reply to this text is not ready yet; it goes with the next poll or the next text.
    messages = smssync.hand_out(channel)
    if messages:
        return _smssync_answer(200, task="send", secret=channel.secret, messages=messages)
    return _smssync_answer(200)


# --- FrontlineSMS -------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
@throttle.webhook("webhook_sms")
def frontlinesms_endpoint(request, channel_id: int):
    channel = _channel(frontlinesms.KIND, channel_id)
    if channel is None:
        return _smssync_answer(404, "Unknown channel")
    try:
        fields = _fields(request, with_query=True)
    except MalformedRequest as exc:
        _refuse(frontlinesms.KIND, channel_id, request, 400, str(exc))
        return _smssync_answer(400, str(exc))
    if not _secret_matches(channel, fields.get("secret")):
        _refuse(frontlinesms.KIND, channel_id, request, 403, "wrong or missing secret")
        return _smssync_answer(403, "Incorrect or missing secret key")
    try:
        frontlinesms.receive_incoming(channel, fields)
    except frontlinesms.PayloadError as exc:
        _refuse(frontlinesms.KIND, channel_id, request, 400, str(exc))
        return _smssync_answer(400, str(exc))
    # FrontlineSMS reads the same success payload as SMSSync (both come from Ushahidi's world).
    return _smssync_answer(200)


# --- Twilio -------------------------------------------------------------------------------------


def _twilio_error(status: int, error: str) -> JsonResponse:
    return JsonResponse({"error": error}, status=status)


@csrf_exempt
@require_POST
@throttle.webhook("webhook_sms")
def twilio_endpoint(request, channel_id: int):
    channel = _channel(twilio_gateway.KIND, channel_id)
    if channel is None:
        return _twilio_error(404, "Unknown channel")
    url = twilio_gateway.webhook_url(channel, request.get_full_path())
    try:
        post = _form(request)
    except MalformedRequest as exc:
        _refuse(twilio_gateway.KIND, channel_id, request, 400, str(exc))
        return _twilio_error(400, str(exc))
    if not twilio_gateway.signature_is_valid(channel, url, post, request.headers):
        _refuse(twilio_gateway.KIND, channel_id, request, 403, f"bad or missing X-Twilio-Signature for {url}")
        return _twilio_error(403, "Invalid or missing X-Twilio-Signature")
    account_sid = (channel.config or {}).get("account_sid")
    if account_sid and post.get("AccountSid") != account_sid:
        _refuse(twilio_gateway.KIND, channel_id, request, 403, "another account's message")
        return _twilio_error(403, "This message belongs to another Twilio account")
    fields = {name: field_text(post.get(name)) for name in ("MessageSid", "From", "To", "Body")}
    missing = [name for name in ("MessageSid", "From") if not fields[name].strip()]
    if missing:
        _refuse(twilio_gateway.KIND, channel_id, request, 400, f"missing {missing}")
        return _twilio_error(400, f"Missing {', '.join(missing)}")

    receive(
        twilio_gateway.KIND,
        fields["MessageSid"].strip(),
        sender=fields["From"].strip(),
        recipient=fields["To"].strip(),
        body=safe_text(fields["Body"], nul="@"),
        raw=dict(post.items()),
        channel=channel,
    )
    # Nothing to say yet: routing runs after this answer, and its reply (if the route makes one)
    # goes out through Twilio's REST API from the deliver task, once.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")


# --- Africa's Talking ---------------------------------------------------------------------------


@csrf_exempt
@require_POST
@throttle.webhook("webhook_sms")
def africastalking_endpoint(request, channel_id: int):
    channel = _channel(africastalking.KIND, channel_id)
    if channel is None:
        return JsonResponse({"error": "Unknown channel"}, status=404)
    # Africa's Talking signs nothing: the secret travels in the callback URL we gave it.
    if not _secret_matches(channel, request.GET.get("secret")):
        _refuse(africastalking.KIND, channel_id, request, 403, "wrong or missing secret")
        return JsonResponse({"error": "Incorrect or missing secret"}, status=403)
    try:
        incoming = africastalking.parse_incoming(_fields(request))
    except (africastalking.PayloadError, MalformedRequest) as exc:
        _refuse(africastalking.KIND, channel_id, request, 400, str(exc))
        return JsonResponse({"error": str(exc)}, status=400)
    receive(africastalking.KIND, channel=channel, **incoming)
    return JsonResponse({"status": "received"})


# --- E-mail through an ESP's inbound webhook (django-anymail) -----------------------------------


@csrf_exempt
@throttle.webhook("webhook_email")
def inbound_email_endpoint(request, channel_id: int):
    channel = _channel(inbound_email.KIND, channel_id)
    if channel is None:
        return JsonResponse({"error": "Unknown channel"}, status=404)
    if not channel.secret:
        _refuse(inbound_email.KIND, channel_id, request, 403, "the channel has no webhook signing key")
        return JsonResponse({"error": "This channel has no webhook signing key"}, status=403)
    token = inbound_email.current_channel.set(channel)
    try:
        # One transaction: a post that fails to store leaves no spent token behind (Mailgun retries).
        with transaction.atomic():
            return inbound_email.mailgun_view(channel)(request)
    except AnymailWebhookValidationFailure as exc:
        _refuse(inbound_email.KIND, channel_id, request, 403, str(exc))
        return JsonResponse({"error": "Invalid or missing webhook signature"}, status=403)
    except (AnymailConfigurationError, KeyError) as exc:
        # A tracking webhook pointed here, a store() route, or fields missing from the post.
        _refuse(inbound_email.KIND, channel_id, request, 400, f"{type(exc).__name__}: {exc}")
        return JsonResponse({"error": "Not a Mailgun inbound message"}, status=400)
    except (AnymailError, ValueError, IndexError, MessageError) as exc:
        # Signed (anymail checks that first), but anymail could not rebuild the message from
        # Mailgun's parsed fields: a header the email package cannot parse, say. Keep the fields.
        if not inbound_email.is_inbound_post(request.POST):
            _refuse(inbound_email.KIND, channel_id, request, 400, f"{type(exc).__name__}: {exc}")
            return JsonResponse({"error": "Not a Mailgun inbound message"}, status=400)
        logger.warning(
            "inbound_email channel %s: kept the fields anymail could not read: %r", channel_id, exc
        )
        try:
            with transaction.atomic():
                # The token went with the failed attempt's transaction: spend it with this one.
                inbound_email.check_fresh_and_unseen(request)
                inbound_email.receive_fields(request.POST, channel=channel)
        except AnymailWebhookValidationFailure as refused:
            _refuse(inbound_email.KIND, channel_id, request, 403, str(refused))
            return JsonResponse({"error": "Invalid or missing webhook signature"}, status=403)
        return HttpResponse()
    finally:
        inbound_email.current_channel.reset(token)
