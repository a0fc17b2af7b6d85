from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from samen.core.causes import cause_labels
from samen.core.text import scrub_contacts
from samen.core.throttle import too_many

from .access import contact_for_viewer, get_profile_for_viewer, place_visible_to
from .forms import ProfileForm
from .models import Member


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    # A fresh copy, not request.user: an invalid form writes its values onto the instance,
    # and the rest of the page must not show what was never saved.
    member = Member.objects.get(pk=request.user.pk)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=member)
        if form.is_valid():
            member = form.save(commit=False)
            member.save(update_fields=form.Meta.fields)
            messages.success(request, _("Your profile is saved."))
            return redirect("people:profile_edit")
    else:
        form = ProfileForm(instance=member)
    return render(request, "people/profile_edit.html", {"form": form, "member": member})


@require_safe
def profile(request, pk: int):
    member = get_profile_for_viewer(request.user, pk)
    contact = contact_for_viewer(request.user, member)
    context = {
        "profile": member,
        "is_self": request.user.pk == member.pk,
        # Published text never carries contact details; whoever may see the contact sees the bio as written.
        "bio": member.bio if contact else scrub_contacts(member.bio),
        "causes": cause_labels(member.causes),
        "show_place": place_visible_to(request.user, member),
        "contact": contact,
    }
    return render(request, "people/profile.html", context)


# allauth's rate limits answer through `handler429` in samen/urls.py: the site's own page. allauth
# does not say which window refused, so Retry-After is the longest window of the view's limits.
ALLAUTH_ACTIONS = {
    "account_login": ("login",),  # too many failed logins is a form error, not a 429
    "account_signup": ("signup",),
    "account_reset_password": ("reset_password",),
    "account_reset_password_from_key": ("reset_password_from_key",),
}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _window_seconds(rate: str) -> float:
    """The window of an allauth rate in seconds: "5/5m/key" gives 300."""
    parts = rate.strip().split("/")
    period = parts[1] if len(parts) > 1 else ""
    if not period or period[-1] not in UNITS:
        return 0
    return float(period[:-1] or 1) * UNITS[period[-1]]


def too_many_requests(request):
    from allauth.account import app_settings

    url_name = request.resolver_match.url_name if request.resolver_match else ""
    windows = [
        _window_seconds(rate)
        for action in ALLAUTH_ACTIONS.get(url_name, ())
        for rate in (app_settings.RATE_LIMITS.get(action) or "").split(",")
        if rate.strip()
    ]
    return too_many(request, max(windows, default=60))
