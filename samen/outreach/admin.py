"""Outreach in the admin: read-mostly views of messages, links, touches and conversions."""

from django.contrib import admin

from .models import Conversion, DailyCount, MemberTouches, Message, Sending, Touch, TrackedLink, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("title", "initiative", "target", "created_at")
    search_fields = ("title", "initiative__title")
    list_select_related = ("initiative",)
    raw_id_fields = ("initiative", "created_by")
    inlines = [VariantInline]


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ("code", "channel", "target", "variant", "promoter", "created_at")
    list_filter = ("channel",)
    search_fields = ("code", "target")
    raw_id_fields = ("initiative", "message", "variant", "promoter", "recipient_member")
    # The recipient is a contact address: kept off the list and the search.
    exclude = ("recipient",)


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = ("at", "link", "channel", "device", "referrer_host", "new_visitor")
    list_filter = ("channel", "device")
    search_fields = ("link__code", "referrer_host")
    raw_id_fields = ("link", "message", "variant", "promoter", "member")
    date_hierarchy = "at"


@admin.register(DailyCount)
class DailyCountAdmin(admin.ModelAdmin):
    list_display = ("day", "link", "channel", "clicks", "visitors")
    list_filter = ("channel",)
    raw_id_fields = ("link", "message", "variant", "promoter", "initiative")


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "kind",
        "source",
        "source_ref",
        "channel",
        "variant",
        "amount_minor",
        "currency",
    )
    list_filter = ("kind", "channel")
    search_fields = ("source", "source_ref")
    raw_id_fields = (
        "member",
        "initiative",
        "first_touch",
        "last_touch",
        "message",
        "variant",
        "promoter",
        "first_message",
        "first_variant",
        "first_promoter",
    )


@admin.register(MemberTouches)
class MemberTouchesAdmin(admin.ModelAdmin):
    list_display = ("member", "first_touch", "last_touch", "updated_at")
    search_fields = ("member__email",)
    raw_id_fields = ("member", "first_touch", "last_touch")


@admin.register(Sending)
class SendingAdmin(admin.ModelAdmin):
    list_display = ("variant", "medium", "requested_at", "finished_at", "queued")
    list_filter = ("medium",)
    raw_id_fields = ("variant", "gateway_channel", "requested_by")
