"""Plan → Section → Reaction (with an obligation to answer); Suggestion → Version; Question → Answer.

A plan belongs to an initiative and is as public as its initiative. Every top-level reaction has an
owner on the team, a due date and a state until someone answers it: the platform makes silence
visible. Accepting a suggested edit (or the team editing a section) writes a new Version, a full
snapshot of the plan's text, so that any two versions can be compared and the history is public.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from samen.initiatives.models import Initiative, StoresRenderedMarkdown

MAX_DEPTH = 3  # replies nest at most this deep
MAX_SECTION_DEPTH = 5  # headings h2..h6 on the page
REACTION_MAX_CHARS = 5000
SECTION_MAX_CHARS = 20000
DEFAULT_ANSWER_DAYS = 3


class Plan(StoresRenderedMarkdown):
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="plans", verbose_name=_("initiative")
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, max_length=SECTION_MAX_CHARS)
    intro_rendered = models.TextField(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The number of the latest Version; goes up by one for every accepted change of the text.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Goes up with everything the public plan page shows (text, reactions, answers): keys its cache.
    revision = models.PositiveIntegerField(default=0, editable=False)
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer a reaction"),
        default=DEFAULT_ANSWER_DAYS,
        help_text=_("Each reaction gets an owner on the team, who answers it within this many days."),
    )
    # Round-robin assignment of reactions to the team ("in turn").
    assign_counter = models.PositiveIntegerField(default=0, editable=False)

    rendered_fields: ClassVar[dict[str, str]] = {"intro": "intro_rendered"}

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(answer_days__gte=1), name="plan_answer_days_min")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plans:plan", args=[self.pk])

    @property
    def intro_html(self) -> SafeString:
        return self.rendered_html("intro")

    @property
    def cache_version(self) -> str:
        return f"{self.pk}:{self.version}:{self.revision}"


class Section(StoresRenderedMarkdown):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections", verbose_name=_("plan"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1)
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("text"), blank=True, max_length=SECTION_MAX_CHARS)
    body_rendered = models.TextField(null=True, editable=False)
    expertise = models.JSONField(_("expertise wanted"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner on the team"),
        help_text=_("Answers the reactions on this section. Left empty, the team takes turns."),
    )
    # Optimistic lock: a change of the text only lands if nobody changed it in the meantime.
    version = models.PositiveIntegerField(default=1, editable=False)

    rendered_fields: ClassVar[dict[str, str]] = {"body": "body_rendered"}

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(depth__gte=1, depth__lte=MAX_SECTION_DEPTH), name="section_depth_range"
            ),
        ]
        indexes = [models.Index(fields=["plan", "position"])]

    def __str__(self):
        return self.heading

    def get_absolute_url(self):
        return reverse("plans:section", args=[self.pk])

    @property
    def body_html(self) -> SafeString:
        return self.rendered_html("body")

    @property
    def heading_level(self) -> int:
        return min(self.depth + 1, 6)


class Reaction(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        ADOPTED = "adopted", _("Adopted")
        DECLINED = "declined", _("Declined")

    class Via(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="reactions", verbose_name=_("section")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plan_reactions",
        verbose_name=_("author"),
    )
    body = models.TextField(_("reaction"), max_length=REACTION_MAX_CHARS)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)
    # The e-mail it came in as: one reaction per inbound message, however often it is routed.
    inbound = models.OneToOneField(
        "messaging.InboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now)

    # The obligation to answer (top-level reactions only).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_reactions_to_answer",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("answer"), blank=True, max_length=REACTION_MAX_CHARS)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # Claimed by the reminder task with a conditional UPDATE; cleared when the due date moves.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(depth__gte=1, depth__lte=MAX_DEPTH), name="reaction_depth_range"
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, depth=1) | Q(parent__isnull=False, depth__gt=1),
                name="reaction_parent_matches_depth",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(answer=""), name="reaction_answer_has_text"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="reaction_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["section", "depth", "state"]),
            models.Index(fields=["state", "due_at"]),
        ]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return reverse("plans:section", args=[self.section_id]) + f"#reaction-{self.pk}"

    @property
    def is_top_level(self) -> bool:
        return self.parent_id is None

    @property
    def is_answered(self) -> bool:
        return self.state != self.State.OPEN

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return self.state == self.State.OPEN and self.due_at is not None and self.due_at < now


class Version(models.Model):
    """A snapshot of the whole plan's text: [{"id", "heading", "depth", "body", "expertise"}, ...]."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    sections = models.JSONField(default=list)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_version_number_per_plan")]

    def __str__(self):
        return f"{self.plan} v{self.number}"


class Suggestion(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the team")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="suggestions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_suggestions"
    )
    body = models.TextField(_("new text"), max_length=SECTION_MAX_CHARS)
    note = models.CharField(_("why"), max_length=500, blank=True)
    # The section's version the suggestion was written against.
    base_version = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.ForeignKey(Version, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suggested edit")
        verbose_name_plural = _("suggested edits")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="accepted", version__isnull=False) | ~Q(state="accepted"),
                name="accepted_suggestion_has_version",
            )
        ]

    def __str__(self):
        return f"{self.section}: {self.body[:40]}"


class Invitation(models.Model):
    """A member whose skills match a section's "expertise wanted" was asked to react."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_invitations"
    )
    skills = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["section", "member"], name="invite_once_per_section")]

    def __str__(self):
        return f"{self.member} → {self.section}"


class Question(models.Model):
    """Ask the crowd: a short question to the initiative's followers, optionally with choices."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    answers_public = models.BooleanField(
        _("show the answers to everyone"),
        default=True,
        help_text=_("Otherwise only the team sees the answers and the results."),
    )
    is_open = models.BooleanField(_("open for answers"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    mailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return reverse("plans:question", args=[self.pk])


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_answers"
    )
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(_("answer"), blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "member"], name="one_answer_per_member"),
            models.CheckConstraint(condition=Q(choice__isnull=False) | ~Q(text=""), name="answer_not_empty"),
        ]

    def __str__(self):
        return self.text[:60]
