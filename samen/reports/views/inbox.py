"""The coordinators' inbox at /maps/inbox/: messages (SMS or e-mail) that match no map.

Who sees which message is decided in one place, `unmatched.py` (through messaging.access); this
page only lists what the viewer may see and offers the steps: put a message on a map the viewer
coordinates (it becomes a report there, with the viewer's title if they wrote one), discard it,
or put a discarded one back. Each step is a normal POST that redirects, and acts once however
often it is sent (messaging.triage claims the message with a conditional UPDATE).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from samen.core.access import deny
from samen.messaging import triage
from samen.messaging.access import get_inbound_for_viewer, inbound_for_viewer
from samen.messaging.models import InboundMessage, InboundMessageChange

from .. import unmatched
from ..models import ReportMap

PAGE_SIZE = 20
HISTORY = 20


class AssignForm(forms.Form):
    # Choices from one list of maps shared by every message's form: one query for the whole page.
    report_map = forms.TypedChoiceField(
        label=gettext_lazy("Map"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("Choose the map this message is for."),
            "invalid_choice": gettext_lazy("Choose one of the maps you coordinate."),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("Title (optional)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Left empty, the first words of the message make the title."),
    )

    def __init__(self, *args, maps, **kwargs):
        super().__init__(*args, **kwargs)
        self.maps = {m.pk: m for m in maps}
        field = self.fields["report_map"]
        # Two initiatives may each have a map called "Floods": say whose.
        field.choices = [("", _("Choose a map"))] + [  # type: ignore[attr-defined]
            (m.pk, f"{m.title} ({m.initiative.title})") for m in maps
        ]

    def clean_report_map(self):
        return self.maps[self.cleaned_data["report_map"]]


def _assignable_maps(user):
    """Staff may put a message on any map; everyone else on the maps they coordinate."""
    maps = ReportMap.objects.all() if user.is_staff else unmatched.coordinated_maps(user)
    return maps.select_related("initiative").order_by("title", "pk")


def _inbox_url(request) -> str:
    """The inbox, keeping the map it was opened from (its way back) when a form says so."""
    url = reverse("reports:inbox")
    back = request.POST.get("map", "")
    if back and len(back) <= 80 and slug_re.fullmatch(back):
        url += "?" + urlencode({"map": back})
    return url


def _check_may_use(user):
    # Only staff and map coordinators have an inbox; for anyone else it does not exist.
    if not user.is_staff and not unmatched.coordinated_maps(user).exists():
        raise deny()


@login_required
@require_safe
def inbox(request):
    _check_may_use(request.user)
    maps = list(_assignable_maps(request.user))
    waiting = (
        unmatched.waiting_for_viewer(request.user).select_related("channel").order_by("-received_at", "-id")
    )
    page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "message": message,
            # The list came through messaging.access (inbound_for_viewer): each sender is the viewer's to see.
            "sender": message.sender,
            "form": AssignForm(maps=maps, prefix=f"m{message.pk}", auto_id=f"id_m{message.pk}_%s"),
        }
        for message in page.object_list
    ]
    own = {m.pk: m for m in maps}
    history = [
        _history_row(change, own)
        for change in InboundMessageChange.objects.filter(message__in=inbound_for_viewer(request.user))
        .select_related("actor", "message")
        .order_by("-at", "-id")[:HISTORY]
    ]
    return render(
        request,
        "reports/inbox.html",
        {
            "page": page,
            "items": items,
            "history": history,
            "has_maps": bool(maps),
            # Came from a map's pages: the way back leads there.
            "back_map": next((m for m in maps if m.slug == request.GET.get("map")), None),
        },
    )


def _history_row(change: InboundMessageChange, own: dict) -> dict:
    report_pk = (change.changes.get("report") or [None, None])[1]
    slug = (change.changes.get("map") or [None, None])[1]
    report_map = next((m for m in own.values() if m.slug == slug), None)
    return {
        "change": change,
        "report_pk": report_pk,
        "report_map": report_map,
        "can_put_back": change.action == triage.DISCARDED
        and change.message.state == InboundMessage.State.DISCARDED,
    }


@login_required
@require_POST
def assign(request, pk):
    _check_may_use(request.user)
    message = get_inbound_for_viewer(request.user, pk)
    form = AssignForm(request.POST, maps=_assignable_maps(request.user), prefix=f"m{message.pk}")
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, " ".join(errors))
        return redirect(f"{_inbox_url(request)}#message-{message.pk}")
    report_map = form.cleaned_data["report_map"]
    report = unmatched.assign(message, report_map, request.user, title=form.cleaned_data["title"].strip())
    if report is None:
        messages.info(request, _("This message was already handled; nothing changed."))
    else:
        messages.success(
            request,
            _("The message is now report #%(number)d on “%(map)s”, in its review queue.")
            % {"number": report.pk, "map": report_map.title},
        )
    return redirect(_inbox_url(request))


@login_required
@require_POST
def discard(request, pk):
    _check_may_use(request.user)
    message = get_inbound_for_viewer(request.user, pk)
    if triage.discard(message, request.user):
        messages.success(request, _("Discarded. The message stays stored; you can put it back below."))
    else:
        messages.info(request, _("This message was already handled; nothing changed."))
    return redirect(_inbox_url(request))


@login_required
@require_POST
def put_back(request, pk):
    _check_may_use(request.user)
    message = get_inbound_for_viewer(request.user, pk)
    if triage.put_back(message, request.user):
        messages.success(request, _("The message is back in the inbox."))
    else:
        messages.info(request, _("This message is not discarded; nothing changed."))
    return redirect(_inbox_url(request))


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:pk>/assign/", assign, name="inbox_assign"),
    path("inbox/<int:pk>/discard/", discard, name="inbox_discard"),
    path("inbox/<int:pk>/put-back/", put_back, name="inbox_put_back"),
]
