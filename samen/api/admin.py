from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "member", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "member__email", "member__name"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    # The hash is useless to a person and the raw token is never stored: nothing here to edit
    # except revoking, which the member does on /tokens/ or staff do by setting revoked_at.
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]
    date_hierarchy = "created_at"
