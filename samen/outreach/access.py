"""Access helpers for outreach: the only way views and the API fetch a message.

Dashboards, recipients and sending are for the initiative's team (404 for anyone else, like a
draft). The share page of a message of a public initiative is open to every signed-in member, who
gets their own promoter links there and sees no figures.

A message about a subject of its own (a giving campaign, initiative None) follows the rules its
app registered in samen.outreach.scopes: who manages it (the organiser), whether any signed-in
member may share it, and where a member's own links lead (a promoter's own page).
"""

from django.http import Http404

from samen.core.access import Role, deny, is_signed_in
from samen.initiatives.access import get_initiative_for_viewer

from . import scopes
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


def _subject_message(pk: int) -> Message:
    message = Message.objects.filter(pk=pk).first()
    if message is None:
        raise deny()
    return message


def get_any_message_for_team(user, pk: int) -> Message:
    """A message by id alone (the API): the initiative's team, or the subject's manager."""
    message = _subject_message(pk)
    if message.initiative is not None:
        return get_message_for_team(user, message.initiative.slug, pk)
    subject = message.subject
    rules = scopes.rules_for(subject)
    if not is_signed_in(user) or rules is None or not rules.managed_by(subject, user):
        raise deny()
    return message


def get_any_message_for_promoter(user, pk: int) -> tuple[Message, str]:
    """(message, the target of this member's own links) for any signed-in member who may share it."""
    message = _subject_message(pk)
    if message.initiative is not None:
        message, _role = get_message_for_promoter(user, message.initiative.slug, pk)
        return message, message.target
    subject = message.subject
    rules = scopes.rules_for(subject)
    if not is_signed_in(user) or rules is None or not rules.is_public(subject):
        raise deny()
    return message, rules.target_for(subject, user) or message.target
