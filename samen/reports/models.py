"""Crowd reports: maps (deployments) on an initiative, categories, reports and their audit trail.

Private: a report's reporter contact, its original (unscrubbed) text, unpublished reports and
evidence originals. Fetch them only through `samen.reports.access`.
"""

import hashlib
import secrets

import h3
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from samen.core.geo import Place, latitude_validators, longitude_validators
from samen.core.storage import private_storage
from samen.core.text import scrub_contacts

# The H3 resolutions stored on every report. Clusters for a zoom level are a GROUP BY on one of
# these columns (see clustering.py); r2 cells are ~87,000 km², r9 cells ~0.1 km².
H3_RESOLUTIONS = (2, 3, 4, 5, 6, 7, 8, 9)


class ReportMap(models.Model):
    """A deployment: where an initiative collects reports, and how."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private: team and reviewers only")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")
        IMPORT = "import", _("CSV import")

    initiative = models.ForeignKey(
        "initiatives.Initiative",
        on_delete=models.CASCADE,
        related_name="report_maps",
        verbose_name=_("initiative"),
    )
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    default_latitude = models.DecimalField(
        _("map centre latitude"), max_digits=9, decimal_places=6, default=0, validators=latitude_validators
    )
    default_longitude = models.DecimalField(
        _("map centre longitude"), max_digits=9, decimal_places=6, default=0, validators=longitude_validators
    )
    default_zoom = models.PositiveSmallIntegerField(_("map zoom"), default=3)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    channels = models.JSONField(
        _("channels that are on"), default=list, blank=True, help_text=_("web, sms, email, api, import")
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_maps", verbose_name=_("reviewers")
    )
    sms_keyword = models.CharField(
        _("SMS keyword"),
        max_length=20,
        blank=True,
        help_text=_("Messages starting with this word come here."),
    )
    sms_number = models.CharField(
        _("SMS number"), max_length=20, blank=True, help_text=_("Messages sent to this number come here.")
    )
    email_address = models.EmailField(_("inbound e-mail address"), blank=True)
    auto_reply = models.CharField(
        _("automatic reply"),
        max_length=300,
        blank=True,
        help_text=_("Sent back through the same channel when a report arrives. Keep it short for SMS."),
    )
    duplicate_window_minutes = models.PositiveIntegerField(
        _("duplicate window (minutes)"),
        default=60,
        help_text=_("The same text from the same sender within this window makes no second report."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report map")
        verbose_name_plural = _("report maps")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reports:map", args=[self.slug])

    def accepts(self, channel: str) -> bool:
        return channel in (self.channels or [])


class Category(models.Model):
    """A category on one map. Nested (parent), coloured, named in several languages."""

    report_map = models.ForeignKey(ReportMap, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    title = models.CharField(_("name"), max_length=120)
    # {"fr": "Urgences", "ht": "Ijans"}: shown when the page's language matches; `title` otherwise.
    translations = models.JSONField(_("names in other languages"), default=dict, blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#0b6b3a")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["report_map", "parent", "title"], name="category_title_once_per_parent"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "en").split("-")[0]
        return (self.translations or {}).get(language) or self.title


class ReportQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Report.Status.PUBLISHED)


class Report(Place):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        IMPORT = "import", _("Import")
        API = "api", _("API")

    class Precision(models.TextChoices):
        EXACT = "exact", _("Exact point")
        NEAR = "near", _("Near this point")
        PLACE = "place", _("Town or area")
        REGION = "region", _("Region or country")

    report_map = models.ForeignKey(ReportMap, on_delete=models.CASCADE, related_name="reports")
    title = models.CharField(_("title"), max_length=200)
    # The text as it arrived. Private: reviewers only (it may hold names and numbers).
    description = models.TextField(_("description"), blank=True, max_length=20000)
    # What the public sees: the description with phone numbers and e-mail addresses scrubbed.
    public_description = models.TextField(_("published description"), blank=True, max_length=20000)
    event_at = models.DateTimeField(_("when it happened"), default=timezone.now)
    location_precision = models.CharField(
        _("precision"), max_length=10, choices=Precision.choices, default=Precision.EXACT
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="reports", verbose_name=_("categories")
    )
    # The first category, kept on the row so clusters can name their dominant category in SQL.
    primary_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    verified = models.BooleanField(_("verified"), default=False)
    reporter_name = models.CharField(_("reporter's name"), max_length=120, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=255, blank=True)
    inbound = models.ForeignKey(
        "messaging.InboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    # An id from elsewhere (a CSV row's "#" or "Post ID", an API client's key): one report per id.
    external_id = models.CharField(max_length=100, blank=True)
    # sha256 of the normalised text and sender: the retry-window duplicate check looks it up.
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    near_duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="near_duplicates"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    h3_r2 = models.BigIntegerField(null=True, blank=True)
    h3_r3 = models.BigIntegerField(null=True, blank=True)
    h3_r4 = models.BigIntegerField(null=True, blank=True)
    h3_r5 = models.BigIntegerField(null=True, blank=True)
    h3_r6 = models.BigIntegerField(null=True, blank=True)
    h3_r7 = models.BigIntegerField(null=True, blank=True)
    h3_r8 = models.BigIntegerField(null=True, blank=True)
    h3_r9 = models.BigIntegerField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-event_at", "-id"]
        indexes = [
            models.Index(fields=["report_map", "status", "-event_at"]),
            models.Index(fields=["report_map", "status", "latitude", "longitude"]),
            # With the one above, the published reports' extent is four index lookups (clustering.published_extent).
            models.Index(fields=["report_map", "status", "longitude"], name="reports_rep_map_lng_idx"),
            models.Index(fields=["report_map", "fingerprint", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report_map", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_report_per_external_id",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reports:detail", args=[self.report_map.slug, self.pk])

    def compute_cells(self) -> None:
        """Fill the H3 columns from the coordinates (or clear them). Called on every save."""
        lat, lng = self.latitude, self.longitude
        for resolution in H3_RESOLUTIONS:
            value = (
                h3.str_to_int(h3.latlng_to_cell(float(lat), float(lng), resolution))
                if lat is not None and lng is not None
                else None
            )
            setattr(self, f"h3_r{resolution}", value)

    def prepare(self) -> None:
        """Fill the derived columns: the H3 cells and the scrubbed public text.

        save() calls it; bulk_create() does not call save(), so importers call it on each row.
        """
        self.compute_cells()
        self.public_description = scrub_contacts(self.description)

    def save(self, *args, **kwargs):
        # Derived columns only: the cells and the scrubbed text always follow their sources.
        self.prepare()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {f"h3_r{r}" for r in H3_RESOLUTIONS} | {"public_description"}
            kwargs["update_fields"] = set(update_fields) | derived
        super().save(*args, **kwargs)

    @staticmethod
    def make_fingerprint(sender: str, text: str) -> str:
        normalised = " ".join((text or "").lower().split())
        return hashlib.sha256(f"{sender.strip().lower()}\n{normalised}".encode()).hexdigest()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class ReportChange(models.Model):
    """The audit log: who changed what on a report, and when. Never edited, never deleted."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(_("action"), max_length=30)
    # {"field": [old, new], ...}; values as text.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("report change")
        verbose_name_plural = _("report changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.action} #{self.report_id}"


def evidence_path(instance, filename):
    # Random names: an evidence file's URL must never be guessable from the report.
    return f"evidence/{instance.report.report_map_id}/{secrets.token_hex(16)}/{filename[-80:]}"


class Attachment(models.Model):
    """Evidence kept with a report: a photo or video from MMS, e-mail or the web form.

    The original is private (reviewers only, through access.py); it may show faces or metadata.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    # Private storage: no URL reaches an original; views.web.attachment streams it to reviewers.
    file = models.FileField(upload_to=evidence_path, storage=private_storage)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self):
        return self.original_name or self.file.name


class Subscription(models.Model):
    """Someone who wants to hear about new published reports in an area or a category."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    report_map = models.ForeignKey(ReportMap, on_delete=models.CASCADE, related_name="subscriptions")
    channel = models.CharField(_("by"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("e-mail address or phone number"), max_length=255)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    categories = models.ManyToManyField(Category, blank=True, verbose_name=_("categories"))
    # An area as a bounding box; empty means the whole map.
    south = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    west = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    north = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    east = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    language = models.CharField(max_length=10, default="en")
    token = models.CharField(max_length=43, unique=True, default=secrets.token_urlsafe)
    # Wrong SMS confirmation codes typed so far; the code is refused for good after a few (notify.py).
    confirm_attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.report_map}"


class Webhook(models.Model):
    """An outbound webhook: each published report is POSTed as JSON, signed with HMAC-SHA256."""

    report_map = models.ForeignKey(ReportMap, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("address"), max_length=500)
    secret = models.CharField(_("shared secret"), max_length=100, default=secrets.token_urlsafe)
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30, default="report.published")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "report", "event"], name="deliver_each_event_once")
        ]

    def __str__(self):
        return f"{self.event} #{self.report_id} → {self.webhook}"
