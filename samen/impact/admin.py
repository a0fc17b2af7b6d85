from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from samen.impact.models import Contribution
from samen.impact.templatetags.impact import hours, money


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "initiative", "member", "what", "source", "source_ref"]
    list_filter = ["kind", "source", "currency"]
    search_fields = [
        "description",
        "source",
        "source_ref",
        "initiative__title",
        "member__email",
        "member__name",
    ]
    date_hierarchy = "occurred_at"
    list_select_related = ["initiative", "member"]
    raw_id_fields = ["initiative", "member", "reverses"]

    # Lines are written by the features through ledger.record(); the source pair is what makes
    # recording idempotent, so it must not be edited afterwards.
    def get_readonly_fields(self, request, obj=None):
        return ["source", "source_ref", "reverses", "created_at"] if obj else ["created_at"]

    @admin.display(description=_("amount"))
    def what(self, obj):
        if obj.kind == Contribution.Kind.MONEY:
            return money(obj.amount_minor, obj.currency)
        if obj.kind == Contribution.Kind.TIME:
            return hours(obj.minutes)
        return obj.description
