from django.contrib import admin

from .models import Answer, Invitation, Plan, Question, Reaction, Section, Suggestion, Version


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("title", "initiative", "version", "created_at")
    search_fields = ("title",)
    raw_id_fields = ("initiative", "created_by")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("heading", "plan", "depth", "position", "owner")
    search_fields = ("heading", "plan__title")
    raw_id_fields = ("plan", "parent", "owner")


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "section", "author", "state", "due_at", "owner")
    list_filter = ("state", "via")
    raw_id_fields = ("section", "parent", "author", "owner", "answered_by", "inbound")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "state", "author", "created_at")
    list_filter = ("state",)
    search_fields = ("section__heading", "body")
    raw_id_fields = ("section", "author", "decided_by", "version")


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ("plan", "number", "note", "created_by", "created_at")
    search_fields = ("plan__title", "note")
    raw_id_fields = ("plan", "created_by")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("section", "member", "created_at")
    search_fields = ("section__heading", "member__email")
    raw_id_fields = ("section", "member")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "initiative", "answers_public", "is_open", "created_at")
    list_filter = ("is_open", "answers_public")
    search_fields = ("text",)
    raw_id_fields = ("initiative", "created_by")


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "member", "choice", "created_at")
    search_fields = ("question__text", "text")
    raw_id_fields = ("question", "member")
