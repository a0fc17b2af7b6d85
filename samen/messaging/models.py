import base64

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    """A configured gateway: which kind (a key in the gateway registry), its settings and its health.

    A permanent transport error switches the channel off and says why, so that silence is visible.
    """

    kind = models.CharField(_("gateway"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    secret = models.CharField(_("shared secret"), max_length=200, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} ({self.kind})"


class InboundMessage(models.Model):
    """Everything that arrives, stored raw before anything parses it, so nothing is lost.

    `idempotency_key` is "<gateway>:<the gateway's own message id>"; a retried delivery finds the
    row that is already there. The sender's contact is private: read it through messaging.access.
    """

    class State(models.TextChoices):
        NEW = "new", _("New")
        ROUTED = "routed", _("Routed")
        FAILED = "failed", _("Could not be handled")
        ANSWERED = "answered", _("Answered")
        # A person looked at a message nothing wanted and set it aside; it stays stored.
        DISCARDED = "discarded", _("Discarded")

    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound",
        verbose_name=_("channel"),
    )
    gateway = models.CharField(_("gateway"), max_length=30)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    sender = models.CharField(_("from"), max_length=255)
    recipient = models.CharField(_("to"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    raw = models.TextField(_("raw payload"))
    # "" when `raw` is the payload's own text (or its fields as JSON); "base64" when the payload
    # was bytes that are no storable text (not UTF-8, or with NUL), kept exactly. See payload().
    raw_encoding = models.CharField(_("raw payload encoding"), max_length=10, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    route = models.CharField(_("routed to"), max_length=100, blank=True)
    # When the routing task last ran to its end, whatever the outcome. A NEW message without it was
    # never routed (its task was lost, or its worker died): `tasks.requeue_unrouted` routes it again.
    # A NEW message with it is one nothing wanted, waiting for a person.
    routed_at = models.DateTimeField(_("routing finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("member"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # When the router last found nothing that wants the message. With state NEW it marks a message
    # waiting for a person, as against one whose routing task has not run yet.
    unmatched_at = models.DateTimeField(_("matched nothing"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-received_at"]),
            models.Index(fields=["sender", "-received_at"]),
        ]

    def __str__(self):
        return f"{self.gateway} {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def is_unmatched(self) -> bool:
        return self.state == self.State.NEW and self.unmatched_at is not None

    def payload(self) -> str | bytes:
        """The raw payload exactly as it was handed to `inbox.receive`: bytes if it was bytes."""
        if self.raw_encoding == "base64":
            return base64.b64decode(self.raw)
        return self.raw


class InboundMessageChange(models.Model):
    """The audit log of what people did with an inbound message: who, what, when. Never edited.

    `changes` is {"field": [old, new], ...}, plus what the message became (a feature writes, for
    example, {"report": [None, 12], "map": [None, "floods"]}); values as text or numbers.
    """

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="changes", verbose_name=_("message")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=30)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("inbound message change")
        verbose_name_plural = _("inbound message changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.action} #{self.message_id}"


class OutboundMessage(models.Model):
    """Everything Samen sends. Queued first, delivered by a task that claims the row."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Never sent because the address opted out (see messaging.optout); final, like SENT.
        SUPPRESSED = "suppressed", _("Not sent: opted out")

    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound",
        verbose_name=_("channel"),
    )
    gateway = models.CharField(_("gateway"), max_length=30)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    to = models.CharField(_("to"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML text"), blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_messages",
        verbose_name=_("member"),
    )
    in_reply_to = models.ForeignKey(
        InboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider's message ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # When a polled gateway (SMSSync) last handed the message to its phone: one the phone never
    # confirms goes back to the queue after a while (gateways.smssync.requeue_unconfirmed).
    handed_out_at = models.DateTimeField(_("handed to the phone"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            # A phone's queue: what SMSSync hands out with every poll and every inbound text.
            models.Index(
                fields=["channel", "gateway", "state", "created_at"], name="messaging_outbound_phone_queue"
            ),
        ]

    def __str__(self):
        return f"{self.gateway} → {self.to}: {self.subject or self.body[:40]}"


class DeliveryAttempt(models.Model):
    """One try at sending an outbound message: how it went, and how long it took."""

    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
        verbose_name=_("message"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)
    permanent = models.BooleanField(_("permanent error"), default=False)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        outcome = (
            gettext("ok") if self.ok else (gettext("permanent error") if self.permanent else gettext("error"))
        )
        return f"{self.message_id} @ {self.at:%Y-%m-%d %H:%M:%S}: {outcome}"


class OptOut(models.Model):
    """An address that asked Samen to send it nothing more (STOP by SMS, an unsubscribe, an admin).

    `address` is normalised (E.164 for phones, lower case for e-mail; see messaging.optout), so one
    person is one row whatever format a gateway reports. An opt-out that someone ended on purpose
    (START, UNSTOP) keeps its row with `ended_at` set: who stopped and restarted, and when, stays
    visible. At most one row per address, medium and scope is active.
    """

    class Medium(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Scope(models.TextChoices):
        # The only scope today; the column lets a later, narrower one (a single initiative) sit
        # beside it without changing what the existing rows mean.
        ALL = "all", _("Everything Samen sends")

    address = models.CharField(_("address"), max_length=255)
    medium = models.CharField(_("medium"), max_length=10, choices=Medium.choices)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.ALL)
    created_at = models.DateTimeField(_("opted out"), default=timezone.now)
    via = models.CharField(_("how"), max_length=100, blank=True)
    source_message = models.ForeignKey(
        InboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opt_outs",
        verbose_name=_("asked in"),
    )
    ended_at = models.DateTimeField(_("opted in again"), null=True, blank=True)
    ended_via = models.CharField(_("opted in again how"), max_length=100, blank=True)
    ended_by_message = models.ForeignKey(
        InboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opt_ins",
        verbose_name=_("opted in again in"),
    )

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index that `is_opted_out` (asked before every message) uses.
            models.UniqueConstraint(
                fields=["address", "medium", "scope"],
                condition=models.Q(ended_at__isnull=True),
                name="messaging_optout_one_active",
            )
        ]

    def __str__(self):
        return f"{self.address} ({self.medium})"


class SeenWebhookToken(models.Model):
    """A signed webhook's one-time token (Mailgun's), kept while its signature is young enough to use.

    Unique per provider, so a signature triple replayed within its five minutes is refused, in every
    process and on every node; rows past `expires_at` are refused for their age anyway and deleted.
    """

    provider = models.CharField(_("provider"), max_length=30)
    token = models.CharField(_("token"), max_length=200)
    expires_at = models.DateTimeField(_("kept until"), db_index=True)

    class Meta:
        verbose_name = _("seen webhook token")
        verbose_name_plural = _("seen webhook tokens")
        constraints = [models.UniqueConstraint(fields=["provider", "token"], name="messaging_token_once")]

    def __str__(self):
        return f"{self.provider}: {self.token[:12]}…"
