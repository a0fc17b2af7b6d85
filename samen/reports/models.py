"""Crowd reports: maps (deployments) on an initiative, categories, reports and their audit trail.

Private: a report's reporter contact, its original (unscrubbed) text, unpublished reports and
evidence originals. Fetch them only through `samen.reports.access`.
"""

import hashlib
import mimetypes
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from h3.api import basic_int as h3_int

from samen.core.countries import country_of_number
from samen.core.geo import Place, latitude_validators, longitude_validators
from samen.core.scrub import scrub_contacts
from samen.core.storage import private_storage

# The H3 resolutions stored on every report. Clusters for a zoom level are a GROUP BY on one of
# these columns (see clustering.py); r2 cells are ~87,000 km², r9 cells ~0.1 km².
H3_RESOLUTIONS = (2, 3, 4, 5, 6, 7, 8, 9)
EQUATOR_KM = 40_075.0


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
    # Whose local phone numbers people write without a country code ("rele 36392029" on a Haitian map):
    # the scrubber needs it to find them. Filled from the map's SMS number or centre when left empty.
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_(
            "Phone numbers written without a country code are read as numbers of this country, so that "
            "they are removed from published reports."
        ),
    )
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
    # Where the map's reports happen, for checks such as the CSV import's (see `area_km`).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_(
            "Such as Africa/Nairobi. Imported dates without a zone are read in it. Empty: the site's."
        ),
    )
    area_radius_km = models.PositiveIntegerField(
        _("area radius (km)"),
        null=True,
        blank=True,
        help_text=_(
            "Reports further than this from the map centre are outside the map's area: an import keeps "
            "them unpublished for review. Empty: worked out from the map's zoom."
        ),
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

    def default_country(self) -> str:
        """The country to assume when none is set: the SMS number's, else the one around the map's centre,
        else the one around the initiative."""
        from samen.core.countries import country_at

        return (
            country_of_number(self.sms_number)
            or country_at(self.default_latitude, self.default_longitude)
            or country_at(self.initiative.latitude, self.initiative.longitude)
        )

    @property
    def zone_name(self) -> str:
        """The map's time zone, or the site's when the map has none."""
        return self.time_zone or settings.TIME_ZONE

    @property
    def area_km(self) -> float | None:
        """The radius of the map's area around its centre, or None when the map has no area.

        The coordinator's `area_radius_km` when set. Otherwise twice the width of the map's starting
        view on a wide (1,024 px) screen, 40,075 km × 4 / 2^zoom, and never under 50 km: a city map
        at zoom 13 covers 50 km around its centre, a country map at zoom 6 about 2,500 km. A map
        still centred on 0, 0 has not been placed, so it has no area.
        """
        if self.area_radius_km:
            return float(self.area_radius_km)
        if not self.default_latitude and not self.default_longitude:
            return None
        return max(50.0, EQUATOR_KM * 4 / 2 ** max(self.default_zoom, 1))


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
    # The title, text and place (Place.place_name) as they arrived. Private: reviewers only (they may hold
    # names and numbers). The public sees the public_* versions: scrubbed of phone numbers and e-mail
    # addresses by prepare(), or corrected by a reviewer's hand (then *_by_hand is set and prepare()
    # leaves them alone).
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    public_title = models.CharField(_("published title"), max_length=200, blank=True)
    public_description = models.TextField(_("published description"), blank=True, max_length=20000)
    public_place_name = models.CharField(_("published place"), max_length=200, blank=True)
    public_title_by_hand = models.BooleanField(default=False)
    public_description_by_hand = models.BooleanField(default=False)
    public_place_by_hand = models.BooleanField(default=False)
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
            # (report_map, status, latitude, longitude) is served by reports_report_place_time, which
            # starts with the same columns (migration 0005): one index fewer for every write.
            # With place_time, the published reports' extent is four index lookups (clustering.published_extent).
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
        if self.latitude is None or self.longitude is None:
            for resolution in H3_RESOLUTIONS:
                setattr(self, f"h3_r{resolution}", None)
            return
        # The finest cell from the point, the coarser ones its ancestors: H3 cells do not nest
        # exactly (a point's r6 cell is not always its r7 cell's parent), and the map counts a
        # box's edges with cells of several resolutions, which must nest (clustering.split_box).
        # h3's integer API: the same cells, without making and parsing a hex string for each.
        finest = max(H3_RESOLUTIONS)
        cell = h3_int.latlng_to_cell(float(self.latitude), float(self.longitude), finest)
        for resolution in H3_RESOLUTIONS:
            setattr(
                self,
                f"h3_r{resolution}",
                cell if resolution == finest else h3_int.cell_to_parent(cell, resolution),
            )

    def phone_region(self) -> str | None:
        """The country whose local numbers the text's numbers are read as: the map's, else the sender's."""
        return self.report_map.country or country_of_number(self.reporter_contact) or None

    def prepare(self) -> None:
        """Fill the derived columns: the H3 cells and the scrubbed public title, text and place.

        save() calls it; bulk_create() does not call save(), so importers call it on each row. A public
        field a reviewer corrected by hand is left as they wrote it.
        """
        self.compute_cells()
        region = None
        for source, public, by_hand in PUBLIC_FIELDS:
            if not getattr(self, by_hand):
                if region is None:
                    region = self.phone_region() or ""
                setattr(self, public, scrub_contacts(getattr(self, source), region=region or None))

    def save(self, *args, **kwargs):
        # Derived columns only: the cells and the scrubbed text always follow their sources.
        self.prepare()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {f"h3_r{r}" for r in H3_RESOLUTIONS} | {
                public for _source, public, _hand in PUBLIC_FIELDS
            }
            kwargs["update_fields"] = set(update_fields) | derived
        super().save(*args, **kwargs)

    @staticmethod
    def make_fingerprint(sender: str, text: str) -> str:
        normalised = " ".join((text or "").lower().split())
        return hashlib.sha256(f"{sender.strip().lower()}\n{normalised}".encode()).hexdigest()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


# (original, public version, "corrected by hand" flag)
PUBLIC_FIELDS = (
    ("title", "public_title", "public_title_by_hand"),
    ("description", "public_description", "public_description_by_hand"),
    ("place_name", "public_place_name", "public_place_by_hand"),
)


class SourceLink(models.Model):
    """Where a report was published before: a v2 export's NEWS LINKS, a v3 post's source URL.

    Its own table, not a column on reports: the reports table carries the cluster triggers, which
    SQLite would have to rebuild for a new column. Shown as links on the report page, exported back.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="source_links")
    url = models.URLField(_("address"), max_length=1000)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("source link")
        verbose_name_plural = _("source links")
        ordering = ["report", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["report", "url"], name="source_link_once_per_report")]

    def __str__(self):
        return self.url


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

    @property
    def download_name(self) -> str:
        """The name a download is saved under: the id and the extension of its type.

        Never the name it arrived with, which a sender chose and may reveal or fake something.
        """
        content_type = self.content_type.split(";", 1)[0].strip().lower()
        extension = EXTRA_EXTENSIONS.get(content_type) or _PYTHON_TYPES.guess_extension(content_type)
        return f"evidence-{self.pk}{extension or '.bin'}"


# Python's own table, without the machine's /etc/mime.types, so a name never depends on the server;
# plus what phones send by MMS that the table lacks.
_PYTHON_TYPES = mimetypes.MimeTypes()
EXTRA_EXTENSIONS = {"video/3gpp": ".3gp", "video/3gpp2": ".3g2", "audio/amr": ".amr", "image/heif": ".heif"}


def import_path(instance, filename):
    return f"imports/{instance.report_map_id}/{secrets.token_hex(16)}.csv"


class ImportJob(models.Model):
    """A CSV file being imported into a map in the background (csv_import.run_job), and its report.

    The uploaded file is kept in private storage until the import is done. `rows_done` moves in
    the same transaction as each batch of reports, so the progress page never runs ahead of the map.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    report_map = models.ForeignKey(ReportMap, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=import_path, storage=private_storage, blank=True)
    filename = models.CharField(max_length=255)
    # languages, time_zone and source, as the form gave them.
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # ImportSummary.as_dict(): the row-by-row report, once done.
    summary = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} → {self.report_map}"


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
    # When the attempt under way claimed the row: a row still SENDING long after this lost its worker
    # (see tasks.CLAIM_TIMEOUT), and the next run may claim it again.
    sending_since = models.DateTimeField(null=True, blank=True)
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
