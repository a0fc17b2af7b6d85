from django.contrib import admin

from .models import (
    Attachment,
    Category,
    ImportJob,
    Report,
    ReportChange,
    ReportMap,
    SourceLink,
    Subscription,
    Webhook,
    WebhookDelivery,
)


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["title", "parent", "translations", "colour", "position"]


@admin.register(ReportMap)
class ReportMapAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "initiative", "visibility", "sms_keyword", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["title", "slug", "initiative__title", "sms_keyword", "sms_number"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["reviewers"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["title", "report_map", "parent", "colour", "position"]
    list_filter = ["report_map"]
    search_fields = ["title"]


class ReportChangeInline(admin.TabularInline):
    model = ReportChange
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor", "action", "changes")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ("content_type", "size", "sha256", "source_url", "created_at")


class SourceLinkInline(admin.TabularInline):
    model = SourceLink
    extra = 0
    fields = ["url", "position"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["title", "report_map", "status", "verified", "source", "event_at", "place_name"]
    list_filter = ["status", "verified", "source", "report_map"]
    search_fields = ["title", "description", "place_name", "reporter_contact", "external_id"]
    date_hierarchy = "event_at"
    raw_id_fields = [
        "inbound",
        "near_duplicate_of",
        "merged_into",
        "locked_by",
        "created_by",
        "primary_category",
    ]
    # The public versions are derived (or corrected on the review page, which logs it): not edited here.
    readonly_fields = [
        "public_title",
        "public_description",
        "public_place_name",
        "public_title_by_hand",
        "public_description_by_hand",
        "public_place_by_hand",
        "fingerprint",
        "created_at",
        "updated_at",
        "published_at",
    ]
    inlines = [AttachmentInline, SourceLinkInline, ReportChangeInline]
    exclude = [f"h3_r{r}" for r in (2, 3, 4, 5, 6, 7, 8, 9)]


@admin.register(ReportChange)
class ReportChangeAdmin(admin.ModelAdmin):
    list_display = ["report", "action", "actor", "at"]
    list_filter = ["action"]
    search_fields = ["report__title"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "report_map", "confirmed_at", "unsubscribed_at"]
    list_filter = ["channel", "report_map"]
    search_fields = ["address"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "report_map", "active", "disabled_reason"]
    list_filter = ["active"]
    search_fields = ["url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook", "report", "event", "state", "attempts", "response_status", "delivered_at"]
    list_filter = ["state", "event"]
    search_fields = ["webhook__url"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Operators see how imports went; the file and its row report are the import's own."""

    list_display = ["filename", "report_map", "state", "rows_done", "rows_total", "created_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["filename", "report_map__title"]
    raw_id_fields = ["report_map", "created_by"]
    readonly_fields = [
        "file",
        "options",
        "rows_total",
        "rows_done",
        "summary",
        "error",
        "attempts",
        "created_at",
        "heartbeat_at",
        "finished_at",
    ]
