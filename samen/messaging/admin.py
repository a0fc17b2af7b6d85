from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from samen.messaging import optout, router
from samen.messaging.models import (
    Channel,
    DeliveryAttempt,
    InboundMessage,
    InboundMessageChange,
    OptOut,
    OutboundMessage,
    SeenWebhookToken,
)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "disabled_reason", "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "kind", "disabled_reason"]
    readonly_fields = ["created_at"]
    actions = ["enable_channels"]

    @admin.action(description=_("Enable again (after fixing the cause)"))
    def enable_channels(self, request, queryset):
        count = queryset.filter(enabled=False).update(enabled=True, disabled_reason="")
        self.message_user(
            request,
            ngettext("%(count)d channel enabled.", "%(count)d channels enabled.", count) % {"count": count},
        )


class InboundMessageChangeInline(admin.TabularInline):
    """Who did what with the message (the coordinators' inbox writes these); never edited."""

    model = InboundMessageChange
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor", "action", "changes")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    inlines = [InboundMessageChangeInline]
    list_display = ["received_at", "gateway", "sender", "short_text", "state", "route", "owner"]
    list_filter = ["state", "gateway", "channel"]
    search_fields = ["sender", "recipient", "subject", "body", "idempotency_key"]
    date_hierarchy = "received_at"
    list_select_related = ["owner"]
    raw_id_fields = ["member", "owner"]
    # What arrived is evidence: it can be triaged (state, owner) but never rewritten.
    readonly_fields = [
        "channel",
        "gateway",
        "idempotency_key",
        "sender",
        "recipient",
        "subject",
        "body",
        "raw",
        "raw_encoding",
        "received_at",
        "route",
        "routed_at",
        "error",
        "unmatched_at",
    ]
    actions = ["route_again"]

    @admin.display(description=_("text"))
    def short_text(self, obj):
        text = obj.subject or obj.body
        return text if len(text) <= 60 else f"{text[:59]}…"

    @admin.action(description=_("Route again (new or failed messages)"))
    def route_again(self, request, queryset):
        routed = 0
        for message in queryset.filter(state__in=[InboundMessage.State.NEW, InboundMessage.State.FAILED]):
            if router.route(message):
                routed += 1
        self.message_user(
            request,
            ngettext("%(count)d message routed.", "%(count)d messages routed.", routed) % {"count": routed},
            messages.SUCCESS if routed else messages.WARNING,
        )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "ok", "permanent", "duration_ms", "error")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "gateway", "to", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "gateway", "channel"]
    search_fields = ["to", "subject", "idempotency_key", "provider_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["member", "in_reply_to"]
    readonly_fields = [
        "idempotency_key",
        "state",
        "attempts",
        "last_error",
        "provider_id",
        "created_at",
        "sent_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    @admin.action(description=_("Send again (failed or stuck messages)"))
    def send_again(self, request, queryset):
        from samen.messaging.tasks import deliver

        pks = list(
            queryset.filter(
                state__in=[OutboundMessage.State.FAILED, OutboundMessage.State.SENDING]
            ).values_list("pk", flat=True)
        )
        # attempts restarts so the retry budget applies afresh to the person's deliberate retry.
        OutboundMessage.objects.filter(pk__in=pks).update(state=OutboundMessage.State.QUEUED, attempts=0)
        for pk in pks:
            transaction.on_commit(lambda pk=pk: deliver.enqueue(pk))
        self.message_user(
            request,
            ngettext("%(count)d message queued.", "%(count)d messages queued.", len(pks))
            % {"count": len(pks)},
        )


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["address", "medium"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("address") and cleaned.get("medium"):
            cleaned["address"] = optout.normalise(cleaned["address"], cleaned["medium"])
        return cleaned


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    """Staff may record an opt-out someone asked for another way (a phone call, a letter), and see
    them all. They cannot end or delete one: only the person can opt in again (START, UNSTOP)."""

    form = OptOutForm
    list_display = ["address", "medium", "scope", "created_at", "via", "ended_at", "ended_via"]
    list_filter = ["medium", "scope", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["address", "via"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "address",
        "medium",
        "scope",
        "created_at",
        "via",
        "source_message",
        "ended_at",
        "ended_via",
        "ended_by_message",
    ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["address", "medium"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through opt_out(), like a STOP: queued messages are held back and features are told.
        saved = optout.opt_out(
            form.cleaned_data["address"], medium=form.cleaned_data["medium"], via=f"admin:{request.user.pk}"
        )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.via = saved.via


@admin.register(SeenWebhookToken)
class SeenWebhookTokenAdmin(admin.ModelAdmin):
    """Read-only: what replay protection remembers; rows go by themselves once they expire."""

    list_display = ["provider", "token", "expires_at"]
    list_filter = ["provider"]
    search_fields = ["token"]
    readonly_fields = ["provider", "token", "expires_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
