from django.contrib import admin

from .models import (
    Campaign,
    CampaignProject,
    Donation,
    FundraisingGoal,
    MatchingFund,
    Promoter,
    ProviderEvent,
)


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "initiative",
        "amount_minor",
        "currency",
        "provider",
        "state",
        "monthly",
        "campaign",
    )
    list_select_related = ("initiative", "campaign")
    list_filter = ("state", "provider", "monthly", ("parent", admin.EmptyFieldListFilter))
    search_fields = ("email", "name", "provider_ref", "recurring_ref", "subscription_ref")
    # States move only through samen.giving.actions (conditional UPDATEs that keep the totals exact).
    readonly_fields = (
        "state",
        "amount_minor",
        "currency",
        "provider",
        "provider_ref",
        "recurring_ref",
        "subscription_ref",
        "recurring_ended_at",
        "parent",
        "campaign",
        "promoter",
    )


@admin.register(FundraisingGoal)
class FundraisingGoalAdmin(admin.ModelAdmin):
    list_display = ("initiative", "amount_minor", "currency", "raised_minor", "deadline")
    list_filter = ("currency",)
    search_fields = ("initiative__title",)
    raw_id_fields = ("initiative",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "ends_at", "currency", "raised_minor", "donation_count")
    search_fields = ("title", "slug")
    raw_id_fields = ("organiser",)


@admin.register(CampaignProject)
class CampaignProjectAdmin(admin.ModelAdmin):
    list_display = ("campaign", "initiative", "target_minor", "raised_minor")
    search_fields = ("campaign__title", "initiative__title")
    raw_id_fields = ("campaign", "initiative")


@admin.register(Promoter)
class PromoterAdmin(admin.ModelAdmin):
    list_display = ("member", "campaign", "project", "target_minor", "raised_minor")
    search_fields = ("member__email", "member__name", "campaign__title")
    raw_id_fields = ("campaign", "member", "project")


@admin.register(MatchingFund)
class MatchingFundAdmin(admin.ModelAdmin):
    list_display = ("sponsor", "campaign", "cap_minor", "created_at")
    search_fields = ("sponsor", "campaign__title")
    raw_id_fields = ("campaign",)


@admin.register(ProviderEvent)
class ProviderEventAdmin(admin.ModelAdmin):
    """Webhook deliveries already handled: kept so a repeat changes nothing."""

    list_display = ("provider", "event_id", "received_at", "outcome")
    list_filter = ("provider",)
    search_fields = ("event_id",)
