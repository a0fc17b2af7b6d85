from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .forms import normalise_phone
from .models import Member


class LowercaseEmailMixin:
    """Members log in by e-mail, and MemberManager stores it in lower case; the admin must agree.

    The model's unique check is case-sensitive, so without this the admin could create
    "Mia@example.org" next to "mia@example.org": two accounts one person cannot tell apart.
    """

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        others = Member.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A member with this e-mail address already exists."), code="unique")
        return email


class MemberCreationForm(LowercaseEmailMixin, AdminUserCreationForm):
    class Meta:
        model = Member
        fields = ("email", "name")


class MemberChangeForm(LowercaseEmailMixin, UserChangeForm):
    class Meta:
        model = Member
        fields = "__all__"

    def clean_phone(self):
        # Staff fixing a number must leave it in E.164 like the profile form does, or SMS routing breaks.
        typed = self.cleaned_data["phone"]
        return normalise_phone(typed) if typed.strip() else ""


@admin.register(Member)
class MemberAdmin(UserAdmin):
    form = MemberChangeForm
    add_form = MemberCreationForm
    list_display = (
        "email",
        "name",
        "place_name",
        "profile_visibility",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "is_active",
        "is_staff",
        "is_superuser",
        "profile_visibility",
        "contact_by_sms",
        "open_to_invitations",
    )
    search_fields = ("email", "name", "place_name", "phone")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "bio", "skills", "causes", "languages", "availability_hours")}),
        (_("Place and time"), {"fields": ("place_name", "latitude", "longitude", "time_zone")}),
        (_("Contact"), {"fields": ("phone", "contact_by_email", "contact_by_sms")}),
        (_("Privacy"), {"fields": ("profile_visibility", "show_place", "open_to_invitations")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "name", "usable_password", "password1", "password2")},
        ),
    )
