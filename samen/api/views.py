"""Personal API tokens: list, create (shown once), revoke. Signed-in members only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .forms import TokenForm
from .models import ApiToken


def _list_page(request, form, status=200):
    tokens = request.user.api_tokens.all()
    return render(request, "api/tokens.html", {"tokens": tokens, "form": form}, status=status)


@require_safe
@login_required
def token_list(request):
    return _list_page(request, TokenForm())


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def token_create(request):
    if request.method == "GET":
        # The form lives on the list page; a bookmark of this address should land there.
        return redirect("tokens:list")
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    token, raw = ApiToken.issue(request.user, form.cleaned_data["name"])
    # Rendered straight from the POST rather than redirected: the raw token exists only in this
    # response, never in a session, a URL or the database. never_cache keeps it out of caches.
    return render(request, "api/token_created.html", {"token": token, "raw": raw}, status=201)


@require_POST
@login_required
def token_revoke(request, pk: int):
    # Another member's token id is simply "not found": ids must not leak whose tokens exist.
    token = get_object_or_404(ApiToken, pk=pk, member=request.user)
    if token.revoke():
        message = _("Token “%(name)s” is revoked. Programs using it can no longer sign in.")
        messages.success(request, message % {"name": token.name})
    return redirect("tokens:list")
