from django.contrib import admin

from .models import Comment, Opportunity, OpportunityTerm, Participation, Pledge, TimeEntry


class OpportunityTermInline(admin.TabularInline):
    """The matching index: derived from the task's text, shown for checking, never edited by hand."""

    model = OpportunityTerm
    extra = 0
    can_delete = False
    readonly_fields = ["term"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["title", "initiative", "code", "mode", "status", "created_at"]
    list_filter = ["status", "mode", "schedule"]
    search_fields = ["title", "code"]
    raw_id_fields = ["initiative", "created_by"]
    inlines = [OpportunityTermInline]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "member", "state", "source", "created_at"]
    list_filter = ["state", "source"]
    raw_id_fields = ["opportunity", "member", "decided_by"]


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["participation", "minutes", "occurred_on", "state"]
    list_filter = ["state"]
    raw_id_fields = ["participation", "decided_by"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "author", "created_at"]
    search_fields = ["body", "opportunity__title"]
    raw_id_fields = ["opportunity", "author"]


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ["member", "minutes_per_month", "amount_minor_per_month", "currency", "updated_at"]
    list_filter = ["currency"]
    search_fields = ["member__email"]
    raw_id_fields = ["member"]
