"""Tracked messages, links, touches and conversions: one attribution chain.

Message (what an initiative's team wants to say) → Variant (A, B, …: the wording being tested) →
TrackedLink (/l/<code>: one per variant, channel, promoter and, for SMS and e-mail, recipient) →
Touch (one human click) → Conversion (a sign-up, a donation, an hour given … linked to the first
and the last touch that led to it). DailyCount keeps clicks and new visitors per link and day, so
dashboards never count the touches table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samen.initiatives.models import Initiative

from . import attribution

CHANNEL_CHOICES = [
    ("x", "X"),
    ("linkedin", "LinkedIn"),
    ("facebook", "Facebook"),
    ("whatsapp", "WhatsApp"),
    ("email", _("E-mail")),
    ("sms", _("SMS")),
    ("web", _("Web page")),
]
KIND_CHOICES = [
    (attribution.SIGNUP, _("Sign-up")),
    (attribution.DONATION, _("Donation")),
    (attribution.VOLUNTEER_JOIN, _("Volunteer joined")),
    (attribution.HOURS, _("Hours given")),
    (attribution.REACTION, _("Reaction")),
    (attribution.REPORT, _("Report")),
]


class Message(models.Model):
    """Something a team wants to say, in one or more variants, about a subject.

    The subject is what the message is about: the initiative itself or any other model (a giving
    campaign). An initiative's messages keep the initiative, since its team may see the dashboard;
    a message about a subject of its own (a campaign) has none, and its app decides who sees it.
    """

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outreach_messages",
        verbose_name=_("initiative"),
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("name"), max_length=140, help_text=_("For your team only."))
    target = models.CharField(
        _("where the links lead"),
        max_length=500,
        help_text=_("A page on this site, such as /initiatives/clean-water/."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("outreach message")
        verbose_name_plural = _("outreach messages")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class Variant(models.Model):
    """One wording of a message. Variants are compared with each other on the dashboard."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("variant"), max_length=2)
    text = models.TextField(
        _("share text"), max_length=1000, help_text=_("What people post or send; the link is added for you.")
    )
    sms_text = models.CharField(
        _("SMS text"), max_length=140, blank=True, help_text=_("Shorter, for SMS; the share text when empty.")
    )
    email_subject = models.CharField(_("e-mail subject"), max_length=140, blank=True)
    # A text of its own for a channel ({"x": "...", "linkedin": "..."}); the share text where none.
    channel_texts = models.JSONField(_("text per channel"), default=dict, blank=True)
    preview_title = models.CharField(
        _("preview title"),
        max_length=100,
        blank=True,
        help_text=_("Shown in the link preview on social media."),
    )
    preview_description = models.CharField(_("preview description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["message", "label"]
        constraints = [
            models.UniqueConstraint(fields=["message", "label"], name="outreach_variant_label_once")
        ]

    def __str__(self):
        return f"{self.message} · {self.label}"

    def text_for(self, channel: str) -> str:
        own = (self.channel_texts or {}).get(channel)
        if own:
            return own
        if channel == "sms" and self.sms_text:
            return self.sms_text
        return self.text


class TrackedLink(models.Model):
    """A short link, /l/<code>. The same arguments always give the same link (unique `key`)."""

    code = models.CharField(max_length=16, unique=True)
    # A hash of everything that makes the link what it is: get-or-create on it is race-safe.
    key = models.CharField(max_length=64, unique=True)
    target = models.CharField(max_length=500)
    channel = models.CharField(max_length=12, choices=CHANNEL_CHOICES)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Private: the address a per-recipient link (SMS, e-mail) was sent to, so a click traces back.
    recipient = models.CharField(max_length=255, blank=True)
    recipient_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        indexes = [models.Index(fields=["message", "variant"])]

    def __str__(self):
        return f"/l/{self.code}"


class Touch(models.Model):
    """One human click on a tracked link. Never the IP address: a random visitor id from a cookie."""

    class Device(models.TextChoices):
        MOBILE = "mobile", _("Phone")
        TABLET = "tablet", _("Tablet")
        DESKTOP = "desktop", _("Computer")
        OTHER = "other", _("Other")

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="touches")
    at = models.DateTimeField(default=timezone.now)
    # Copied from the link, so that grouping never needs a join.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, null=True, related_name="+")
    channel = models.CharField(max_length=12)
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    referrer_host = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=8, choices=Device.choices, default=Device.OTHER)
    visitor = models.CharField(max_length=32)
    # True for this visitor's first click on this link: the sum over days is the unique visitors.
    new_visitor = models.BooleanField(default=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        indexes = [models.Index(fields=["message", "at"])]

    def __str__(self):
        return f"{self.channel} {self.at:%Y-%m-%d %H:%M}"


class DailyCount(models.Model):
    """Clicks and new visitors per link and UTC day, kept up to date by each click."""

    day = models.DateField()
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, null=True, related_name="+")
    channel = models.CharField(max_length=12)
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, null=True, related_name="+")
    clicks = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="outreach_daily_once")]
        indexes = [models.Index(fields=["message", "day"]), models.Index(fields=["initiative", "day"])]

    def __str__(self):
        return f"{self.day} {self.channel}: {self.clicks}"


class Conversion(models.Model):
    """Something worth counting that happened, attributed to the first and last touch before it."""

    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    source = models.CharField(max_length=60)
    source_ref = models.CharField(max_length=100)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    minutes = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField(default=timezone.now)
    first_touch = models.ForeignKey(Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_touch = models.ForeignKey(Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The last and the first touch's message, variant, channel, promoter and visitor, copied so that
    # the dashboards group conversions without joining the (large) touches table.
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=12, blank=True)
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor = models.CharField(max_length=32, blank=True)
    first_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_channel = models.CharField(max_length=12, blank=True)
    first_promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_visitor = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="outreach_conversion_once"),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0), name="outreach_conversion_amount"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.source}:{self.source_ref}"


class MemberTouches(models.Model):
    """The touches a member arrived with, stored at sign-up, so a conversion weeks later still counts."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="outreach_touches"
    )
    first_touch = models.ForeignKey(Touch, on_delete=models.SET_NULL, null=True, related_name="+")
    last_touch = models.ForeignKey(Touch, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"touches of member {self.member_id}"


class Sending(models.Model):
    """A team asked to send a variant to the initiative's followers by e-mail or SMS."""

    class Medium(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="sendings")
    medium = models.CharField(max_length=5, choices=Medium.choices)
    gateway_channel = models.ForeignKey(
        "messaging.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    queued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.variant_id} by {self.medium}"
