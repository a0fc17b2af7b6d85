from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Follow, Initiative, TeamMember, Update


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "place_name", "follower_count", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["title", "slug", "summary", "place_name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "created_at"
    inlines = [TeamMemberInline]
    # The count is kept by follow()/unfollow(); editing it by hand would only make it wrong.
    readonly_fields = ["follower_count", "created_by", "created_at", "updated_at"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["member", "initiative", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["member__email", "member__name", "initiative__title"]
    list_select_related = ["member", "initiative"]
    autocomplete_fields = ["member", "initiative"]


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "initiative", "author", "created_at", "was_mailed"]
    list_filter = ["created_at", ("mailed_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "initiative__title"]
    list_select_related = ["initiative", "author"]
    autocomplete_fields = ["initiative", "author"]
    readonly_fields = ["mailed_at"]

    @admin.display(boolean=True, description=_("e-mailed"))
    def was_mailed(self, obj):
        return obj.mailed_at is not None
