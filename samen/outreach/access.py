"""Access helpers for outreach: the only way views and the API fetch a message.

Dashboards, recipients and sending are for the initiative's team (404 for anyone else, like a
draft). The share page of a message of a public initiative is open to every signed-in member, who
gets their own promoter links there and sees no figures.
"""

from django.http import Http404

from samen.core.access import Role, deny, is_signed_in
from samen.initiatives.access import get_initiative_for_viewer

from .models import Message


def get_initiative_for_outreach(user, slug: str):
    """The initiative whose outreach `user` manages (team or owner); 404 for everyone else."""
    initiative, role = get_initiative_for_viewer(user, slug)
    if role < Role.TEAM:
        raise deny()
    return initiative, role


def get_message_for_team(user, slug: str, pk: int) -> Message:
    initiative, _role = get_initiative_for_outreach(user, slug)
    message = Message.objects.filter(initiative=initiative, pk=pk).first()
    if message is None:
        raise deny()
    message.initiative = initiative
    return message


def get_message_for_promoter(user, slug: str, pk: int) -> tuple[Message, Role]:
    """A signed-in member may promote the messages of an initiative they can see."""
    if not is_signed_in(user):
        raise deny()
    initiative, role = get_initiative_for_viewer(user, slug)
    message = Message.objects.filter(initiative=initiative, pk=pk).first()
    if message is None:
        raise deny()
    message.initiative = initiative
    return message, role


def messages_for_team(user, initiative) -> list[Message]:
    from samen.initiatives.access import role_for

    if role_for(user, initiative) < Role.TEAM:
        raise Http404
    return list(Message.objects.filter(initiative=initiative).prefetch_related("variants"))
