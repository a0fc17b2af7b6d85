"""Whose outreach a page shows: an initiative's, or another subject's such as a giving campaign.

Outreach knows initiatives; it does not know the apps built on top of it. An app that wants its
own outreach pages (giving, for a campaign) builds a Scope for its subject, after checking the
viewer itself, and calls the page functions in samen.outreach.pages from its own views and URLs.

Such an app also registers its subject's model here (`register`, from its AppConfig.ready), so
that code holding only a message (the API, the sending task) knows who manages it, who may share
it, where a member's own links lead, and who hears from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Message

# The names every scope's URLconf provides, after its prefix ("outreach:" or "giving:outreach_").
PAGES = (
    "overview",
    "message_new",
    "message",
    "message_edit",
    "message_delete",
    "message_send",
    "message_csv",
    "message_share",
)


@dataclass(frozen=True)
class SubjectRules:
    """How outreach treats messages about one model that is not an initiative."""

    managed_by: Callable[[Any, Any], bool]  # (subject, user): may see figures and send
    is_public: Callable[[Any], bool]  # (subject): any signed-in member may get share links
    target_for: Callable[[Any, Any], str | None]  # (subject, member): their own links' target
    audience: Callable[[Any], QuerySet]  # (subject): the Members a sending goes to
    reason: Callable[[Any], str]  # (subject): the line that tells a recipient why they get it


_RULES: dict[type, SubjectRules] = {}


def register(model: type, rules: SubjectRules) -> None:
    _RULES[model] = rules


def rules_for(subject) -> SubjectRules | None:
    return _RULES.get(type(subject)) if subject is not None else None


@dataclass
class Scope:
    subject: Any
    initiative: Any  # the Initiative, or None for a subject of its own (a campaign)
    title: str
    page_url: str  # the subject's own page, for the way back
    url_prefix: str  # "outreach:" for an initiative, "giving:outreach_" for a campaign
    url_kwargs: dict = field(default_factory=dict)
    back_label: str = ""  # "Back to the initiative", "Back to the campaign"

    def url(self, page: str, pk: int | None = None) -> str:
        assert page in PAGES, page
        kwargs = dict(self.url_kwargs)
        if pk is not None:
            kwargs["pk"] = pk
        return reverse(f"{self.url_prefix}{page}", kwargs=kwargs)

    def messages(self) -> QuerySet[Message]:
        if self.initiative is not None:
            return Message.objects.filter(initiative=self.initiative)
        return Message.objects.filter(
            subject_type=ContentType.objects.get_for_model(self.subject), subject_id=self.subject.pk
        )

    def default_target(self) -> str:
        return self.page_url


def for_initiative(initiative) -> Scope:
    return Scope(
        subject=initiative,
        initiative=initiative,
        title=initiative.title,
        page_url=initiative.get_absolute_url(),
        url_prefix="outreach:",
        url_kwargs={"slug": initiative.slug},
        back_label=_("Back to the initiative"),
    )


def for_subject(subject, *, url_prefix: str, url_kwargs: dict, back_label: str) -> Scope:
    """A scope for a subject that is not an initiative (its app has checked the viewer)."""
    return Scope(
        subject=subject,
        initiative=None,
        title=str(getattr(subject, "title", "") or subject),
        page_url=subject.get_absolute_url(),
        url_prefix=url_prefix,
        url_kwargs=url_kwargs,
        back_label=back_label,
    )


def audience(message: Message) -> QuerySet | None:
    """Who a message may be sent to: the initiative's followers, or its subject's audience."""
    from samen.people.models import Member

    initiative = message.initiative
    if initiative is not None:
        if not initiative.is_public:
            return None
        return Member.objects.filter(follows__initiative=initiative, is_active=True)
    subject = message.subject
    rules = rules_for(subject)
    return rules.audience(subject) if rules is not None else None


def recipients(message: Message, medium: str) -> QuerySet | None:
    """The members a sending by `medium` ("email" or "sms") goes to; None when it has no audience.

    Opt-outs are not taken out here: the outbox suppresses them, and keeps the record.
    """
    from django.db.models import Q

    members = audience(message)
    if members is None:
        return None
    if medium == "sms":
        return members.filter(contact_by_sms=True).exclude(Q(phone="") | Q(phone__isnull=True))
    return members.filter(contact_by_email=True)
