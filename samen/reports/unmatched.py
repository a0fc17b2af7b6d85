"""Messages that match no map: who may see them, and how one becomes a report.

Who sees an unmatched message. It holds the sender's phone number or e-mail address, which is
private, so the rule is narrow. Site staff see all of them (messaging.access). Besides them, the
coordinators of a map (the initiative's owner and team, and the map's named reviewers) see the
unmatched messages that reached Samen the way their map is reached:
- sent to the map's own SMS number (compared on the last nine digits, as routing does) or to its
  inbound e-mail address; or
- through a gateway channel that belongs to the map: one configured with the map's number
  (`Channel.config["number"]`), or one through which the map has received reports before.
Keyword-only maps on a shared gateway are reached through that gateway once a report has come in
on it; until then only staff see what arrives there unmatched. Members, followers, outsiders and
anonymous visitors never see them. They see a message while it waits and after it was handled
here (discarded, or assigned: its history stays visible to them), never the messages that routing
gave to a map or another feature.

What they may do: put it on a map they coordinate (it becomes a report there, once, with the
map's automatic reply), or discard it (stored still, and can be put back). Each step is a
conditional UPDATE in messaging.triage and writes the message's audit log; the report's own log
records who made it.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from samen.core.access import is_signed_in
from samen.messaging import access as messaging_access
from samen.messaging import triage
from samen.messaging.models import Channel, InboundMessage, InboundMessageChange

from .intake import NUMBER_TAIL, ROUTE, _digits, _same_number, make_report, text_for
from .models import Report, ReportMap


def coordinated_maps(user) -> QuerySet[ReportMap]:
    """The maps the user coordinates: their initiative's owner or team, or a named reviewer."""
    if not (is_signed_in(user) and user.is_active):
        return ReportMap.objects.none()
    return ReportMap.objects.filter(Q(initiative__team__member=user) | Q(reviewers=user)).distinct()


def _number_q(number: str) -> Q:
    if len(number) >= NUMBER_TAIL:
        return Q(recipient__endswith=number[-NUMBER_TAIL:])
    return Q(recipient__in=[number, f"+{number}"])


def _address_q(address: str) -> Q:
    # One address among "a@x, b@y": bounded by the start, the end, a comma, a space or <>.
    return Q(recipient__iregex=rf"(^|[\s,<]){re.escape(address)}($|[\s,>])")


def reach(maps) -> Q | None:
    """The inbound messages that came in the way one of `maps` is reached (see the module's doc)."""
    maps = list(maps)
    if not maps:
        return None
    numbers = {_digits(m.sms_number) for m in maps if m.sms_number} - {""}
    addresses = {m.email_address.strip().lower() for m in maps if m.email_address}
    query = Q(
        channel__in=Report.objects.filter(report_map__in=maps, inbound__channel__isnull=False).values(
            "inbound__channel"
        )
    )
    if numbers:
        configured = [
            channel.pk
            for channel in Channel.objects.exclude(config={}).only("pk", "config")
            if any(_same_number(_digits(str((channel.config or {}).get("number") or "")), n) for n in numbers)
        ]
        if configured:
            query |= Q(channel__in=configured)
    for number in numbers:
        query |= _number_q(number)
    for address in addresses:
        query |= _address_q(address)
    return query


def _seen_here() -> Q:
    """Waiting for a person, or handled by one in the inbox."""
    return Q(state=InboundMessage.State.NEW, unmatched_at__isnull=False) | Q(
        pk__in=InboundMessageChange.objects.values("message")
    )


def viewer_rule(viewer) -> Q | None:
    """Registered with messaging.access: what a map's coordinators may also see."""
    reached = reach(coordinated_maps(viewer))
    return None if reached is None else reached & _seen_here()


messaging_access.register_viewer_rule(viewer_rule)


def waiting_for_viewer(viewer) -> QuerySet[InboundMessage]:
    """The unmatched messages waiting for a person that the viewer may see, newest first."""
    return messaging_access.inbound_for_viewer(viewer).filter(
        state=InboundMessage.State.NEW, unmatched_at__isnull=False
    )


def count_for_viewer(viewer) -> int:
    if not is_signed_in(viewer):
        return 0
    return waiting_for_viewer(viewer).count()


def assign(
    message: InboundMessage, report_map: ReportMap, actor, *, title: str = "", text: str | None = None
):
    """Make the message a report on `report_map`. Returns the report, or None when it was handled already.

    The caller has checked that `actor` may see the message and coordinates the map.
    """
    made: list[Report] = []

    def make() -> dict:
        body = text_for(message, report_map) if text is None else text
        report = make_report(message, report_map, body, actor=actor, title=title)
        made.append(report)
        return {"report": [None, report.pk], "map": [None, report_map.slug]}

    if not triage.take(message, actor, route=ROUTE, make=make):
        return None
    return made[0]
