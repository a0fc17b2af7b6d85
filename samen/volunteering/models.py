"""Opportunities (tasks on an initiative), who takes part, the hours they give, and pledges ("my 1%")."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samen.core.geo import Place

# Bounds that keep a typo ("80" hours meant as minutes, "1000") out of the ledger.
MAX_MINUTES_PER_ENTRY = 24 * 60
MAX_HOURS_NEEDED = 2000
MAX_PLACES = 1000
# Codes avoid letters and digits that people mix up when they type them into a phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Opportunity(Place):
    """A task on an initiative that people can take on: online or on location, once or ongoing."""

    class Mode(models.TextChoices):
        ONLINE = "online", _("Online")
        ON_LOCATION = "on_location", _("On location")

    class Schedule(models.TextChoices):
        ONE_OFF = "one_off", _("One-off")
        ONGOING = "ongoing", _("Ongoing")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    initiative = models.ForeignKey(
        "initiatives.Initiative", on_delete=models.CASCADE, related_name="opportunities"
    )
    code = models.CharField(_("SMS code"), max_length=12, unique=True, default=new_code)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what needs doing"), max_length=5000, blank=True)
    mode = models.CharField(_("where"), max_length=12, choices=Mode.choices, default=Mode.ONLINE)
    schedule = models.CharField(
        _("how often"), max_length=10, choices=Schedule.choices, default=Schedule.ONE_OFF
    )
    hours_needed = models.PositiveSmallIntegerField(_("hours needed"), default=4)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    time_zone = models.CharField(_("time zone of the team"), max_length=64, default="UTC")
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    places_available = models.PositiveSmallIntegerField(_("places available"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Normalised terms (skill concepts, languages, stems), kept by matching.index_opportunity().
    terms = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_needed__gte=1, hours_needed__lte=MAX_HOURS_NEEDED),
                name="volunteering_opportunity_hours_bounded",
            ),
            models.CheckConstraint(
                condition=Q(places_available__gte=1, places_available__lte=MAX_PLACES),
                name="volunteering_opportunity_places_bounded",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("volunteering:detail", args=[self.pk])

    @property
    def is_on_location(self) -> bool:
        return self.mode == self.Mode.ON_LOCATION

    def is_open_on(self, today) -> bool:
        return self.status == self.Status.OPEN and (self.deadline is None or self.deadline >= today)


class OpportunityTerm(models.Model):
    """One normalised term of an opportunity: the inverted index the matcher looks candidates up in."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="term_rows")
    term = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "opportunity"], name="volunteering_term_once")]

    def __str__(self):
        return self.term


class Participation(models.Model):
    """A member on an opportunity: applied, invited, accepted, declined or withdrawn. One row per pair."""

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        SMS = "sms", _("SMS")
        API = "api", _("API")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="participations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.APPLIED)
    motivation = models.TextField(_("motivation"), max_length=1000, blank=True)
    source = models.CharField(max_length=5, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["created_at", "id"]
        constraints = [
            # Joining twice is impossible: the database refuses a second row for the same pair.
            models.UniqueConstraint(fields=["opportunity", "member"], name="volunteering_join_once"),
        ]

    def __str__(self):
        return f"{self.member} → {self.opportunity}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACCEPTED


class TimeEntry(models.Model):
    """Hours a participant says they gave; the team confirms them, and then they enter the ledger."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not confirmed")

    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="time_entries")
    minutes = models.PositiveIntegerField(_("minutes"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # An SMS or API client's id for this entry: the same id again changes nothing.
    external_ref = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_MINUTES_PER_ENTRY),
                name="volunteering_time_entry_minutes_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.minutes} min, {self.participation}"


class Comment(models.Model):
    """The discussion on one opportunity, for its participants and the initiative's team."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author} on {self.opportunity}"


class Pledge(models.Model):
    """A member's "1%": time per month, money per month and knowledge they mean to give."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pledge")
    minutes_per_month = models.PositiveIntegerField(_("minutes per month"), default=96)
    amount_minor_per_month = models.PositiveIntegerField(_("money per month (in cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    knowledge = models.CharField(_("knowledge I share"), max_length=300, blank=True)
    knowledge_items_per_month = models.PositiveSmallIntegerField(_("knowledge items per month"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_per_month__lte=31 * 24 * 60), name="volunteering_pledge_minutes_bounded"
            ),
        ]

    def __str__(self):
        return f"{self.member}: {self.minutes_per_month} min a month"
