"""The /l/<code> redirect, and an initiative's outreach pages (the work is in samen.outreach.pages)."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from samen.core import throttle

from . import access, links, pages, scopes, tracking
from .models import TrackedLink

# --- The short link -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def follow(request, code: str):
    """/l/<code>: redirect at once; record a touch only for a person's real click."""
    link = tracking.link_by_code(code)
    if link is None or not links.is_safe_target(link["target"]):
        return render(request, "outreach/link_not_found.html", status=404)
    target = link["target"]
    user_agent = request.headers.get("User-Agent", "")
    if request.method == "HEAD" or tracking.is_prefetch(request):
        return _redirect(target)
    if tracking.is_bot(user_agent):
        if tracking.wants_card(user_agent):
            return _card(request, link)
        return _redirect(target)
    if not _counts(request, link, user_agent):
        # The person still gets where the link leads; the figures just do not hear of it again.
        return _redirect(target)
    _touch, carried = tracking.record_touch(request, link)
    response = _redirect(target)
    tracking.write_cookie(response, carried, secure=request.is_secure())
    return response


def _counts(request, link: dict, user_agent: str) -> bool:
    """Whether this click may become a touch: a visitor (address and browser) counts once per window
    (`link_visitor`), an address only so many times (`link_address`), so a script that clicks
    without cookies cannot make unique visitors or tip an A/B test."""
    address = throttle.client_key(request)
    browser = hashlib.sha256(user_agent.encode()).hexdigest()[:16]
    if throttle.hit(request, "link_visitor", key=f"{link['pk']}|{address}|{browser}") is not None:
        return False
    return throttle.hit(request, "link_address", key=f"{link['pk']}|{address}") is None


def _redirect(target: str):
    response = HttpResponseRedirect(target)
    # Every click must reach us: no cache may answer for us, and a prefetch must not be reused.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def _card(request, link: dict):
    """What a social network's preview fetcher sees: Open Graph and Twitter-card metadata."""
    tracked = TrackedLink.objects.select_related("variant", "initiative").filter(pk=link["pk"]).first()
    if tracked is None:
        return render(request, "outreach/link_not_found.html", status=404)
    variant, initiative = tracked.variant, tracked.initiative
    title = (variant.preview_title if variant else "") or (initiative.title if initiative else "Samen")
    description = (variant.preview_description if variant else "") or (
        initiative.summary if initiative else ""
    )
    image = request.build_absolute_uri(initiative.image.url) if initiative and initiative.image else ""
    context = {
        "title": title,
        "description": description,
        "image": image,
        "target": request.build_absolute_uri(tracked.target)
        if tracked.target.startswith("/")
        else tracked.target,
    }
    response = render(request, "outreach/card.html", context)
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- Team pages: an initiative's outreach (samen.outreach.pages does the work) ------------------


def _scope(request, slug):
    initiative, _role = access.get_initiative_for_outreach(request.user, slug)
    return scopes.for_initiative(initiative)


(
    overview,
    message_new,
    message_detail,
    message_edit,
    message_delete,
    message_send,
    message_csv,
) = pages.manager_views(_scope)


@login_required
def message_share(request, slug, pk):
    """Any signed-in member who can see the initiative gets their own links here."""
    message, _role = access.get_message_for_promoter(request.user, slug, pk)
    return pages.message_share(request, scopes.for_initiative(message.initiative), message)
