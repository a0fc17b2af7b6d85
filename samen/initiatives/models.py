from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from samen.core.causes import cause_labels
from samen.core.geo import Place
from samen.core.text import render_markdown

# Paths under /initiatives/ that are not initiatives (see urls.py).
RESERVED_SLUGS = {"new"}


class InitiativeQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=Initiative.Status.DRAFT)

    def with_cause(self, code: str):
        if connections[self.db].vendor == "postgresql":
            # jsonb containment (@>).
            return self.filter(causes__contains=[code])
        # SQLite has no JSON containment operator; json_each walks the list instead.
        has_cause = RawSQL(
            'EXISTS (SELECT 1 FROM json_each("initiatives_initiative"."causes") WHERE json_each.value = %s)',
            [code],
            output_field=BooleanField(),
        )
        return self.alias(has_cause=has_cause).filter(has_cause=True)

    def in_place(self, text: str):
        return self.filter(place_name__icontains=text)


class StoresRenderedMarkdown(models.Model):
    """Keeps the sanitised HTML of Markdown fields beside their source, rendered once in save().

    Rendering a long story takes milliseconds; pages are read far more often than written. The
    HTML column is NULL where nothing was rendered yet (rows from bulk_create(), fixtures or raw
    SQL); a NULL column, or a source changed in memory and not saved, is rendered on the spot, so
    the HTML shown always matches the text. QuerySet.update() of a source bypasses save(): don't.
    """

    # Source field name -> HTML field name.
    rendered_fields: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True

    def save(self, **kwargs):
        update_fields = kwargs.get("update_fields")
        deferred = self.get_deferred_fields()
        rendered = {}
        for source, html in self.rendered_fields.items():
            if source in deferred or (update_fields is not None and source not in update_fields):
                continue  # the source is not being written, so its stored HTML stays right
            text = getattr(self, source)
            setattr(self, html, str(render_markdown(text)))
            rendered[source] = text
            if update_fields is not None:
                kwargs["update_fields"] = update_fields = [*update_fields, html]
        super().save(**kwargs)
        self._rendered_from = {**getattr(self, "_rendered_from", {}), **rendered}

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        loaded = instance.__dict__
        # The source text each stored HTML was rendered from, as far as this instance knows.
        instance._rendered_from = {
            source: loaded[source]
            for source, html in cls.rendered_fields.items()
            if source in loaded and loaded.get(html) is not None
        }
        return instance

    def rendered_html(self, source: str) -> SafeString:
        text = getattr(self, source)
        html = self.rendered_fields[source]
        if source in getattr(self, "_rendered_from", {}) and self._rendered_from[source] == text:
            stored = getattr(self, html)
            if stored is not None:
                return mark_safe(stored)  # noqa: S308 - rendered and cleaned by render_markdown in save()
        return render_markdown(text)


class Initiative(StoresRenderedMarkdown, Place):
    """The hub: plans, tasks, fundraising and report maps all hang off an initiative."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One or two sentences."))
    story = models.TextField(_("story"), blank=True, max_length=20000, help_text=_("You can use Markdown."))
    # The story as sanitised HTML, kept by StoresRenderedMarkdown.save(); NULL until rendered.
    story_rendered = models.TextField(null=True, editable=False)
    causes = models.JSONField(_("causes"), default=list, blank=True)
    image = models.ImageField(_("image"), upload_to="initiatives/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    follower_count = models.PositiveIntegerField(_("followers"), default=0)
    # Goes up whenever the page shows something new from other rows: an update, a team change, a
    # renamed member (signals.py). With updated_at it keys the page's cached fragments. NULL until
    # the first such change; nullable so that SQLite adds the column without rebuilding the table.
    page_version = models.PositiveIntegerField(null=True, editable=False)

    objects = InitiativeQuerySet.as_manager()
    rendered_fields: ClassVar[dict[str, str]] = {"story": "story_rendered"}

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("initiatives:detail", args=[self.slug])

    @property
    def story_html(self) -> SafeString:
        return self.rendered_html("story")

    @property
    def cache_version(self) -> str:
        """Part of every cache key for what the page shows; changes whenever any of that changes."""
        return f"{self.pk}:{self.updated_at.isoformat()}:{self.page_version or 0}"

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def cause_labels(self) -> list[str]:
        return cause_labels(self.causes)

    @classmethod
    def unique_slug(cls, title: str) -> str:
        base = slugify(title)[:70] or "initiative"
        slug, n = base, 2
        while slug in RESERVED_SLUGS or cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    # --- Followers ---------------------------------------------------------------------------------
    # follower_count is denormalised so that listings never count rows. It only ever changes in
    # the same transaction as the Follow row, and with F() so that concurrent follows add up.

    def follow(self, member) -> bool:
        """Start following. Returns False (and changes nothing) if `member` already follows."""
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(initiative=self, member=member)
            if created:
                Initiative.objects.filter(pk=self.pk).update(follower_count=F("follower_count") + 1)
        if created:
            self.refresh_from_db(fields=["follower_count"])
        return created

    def unfollow(self, member) -> bool:
        """Stop following. Returns False (and changes nothing) if `member` did not follow."""
        with transaction.atomic():
            deleted, _ = Follow.objects.filter(initiative=self, member=member).delete()
            if deleted:
                Initiative.objects.filter(pk=self.pk, follower_count__gt=0).update(
                    follower_count=F("follower_count") - 1
                )
        if deleted:
            self.refresh_from_db(fields=["follower_count"])
        return bool(deleted)

    def is_followed_by(self, member) -> bool:
        if not (member and member.is_authenticated):
            return False
        return Follow.objects.filter(initiative=self, member=member).exists()

    # --- Status and team ---------------------------------------------------------------------------

    def set_status(self, status: str) -> None:
        if status not in self.Status.values:
            raise ValidationError(_("Choose a valid status."), code="invalid_status")
        self.status = status
        self.save(update_fields=["status", "updated_at"])

    def add_team_member(self, member, role: str = "team") -> "TeamMember":
        if role not in TeamMember.Role.values:
            raise ValidationError(_("Choose a valid role."), code="invalid_role")
        if not member.is_active:
            raise ValidationError(_("This member's account is closed."), code="inactive")
        with transaction.atomic():
            team_member, created = TeamMember.objects.get_or_create(
                initiative=self, member=member, defaults={"role": role}
            )
        if not created:
            raise ValidationError(
                _("%(name)s is already on the team.") % {"name": member.display_name}, code="already_on_team"
            )
        return team_member

    def remove_team_member(self, team_member: "TeamMember") -> None:
        """Take someone off the team. An initiative always keeps at least one owner."""
        if team_member.initiative_id != self.pk:
            raise ValidationError(_("This person is not on this team."), code="not_on_team")
        with transaction.atomic():
            # Lock the owner rows (PostgreSQL) so that two owners removing each other at the
            # same moment cannot leave the initiative with none; SQLite serialises writers anyway.
            owners = list(
                TeamMember.objects.select_for_update()
                .filter(initiative=self, role=TeamMember.Role.OWNER)
                .values_list("pk", flat=True)
            )
            if team_member.pk in owners and len(owners) == 1:
                raise ValidationError(
                    _("An initiative needs at least one owner. Add another owner first."), code="last_owner"
                )
            TeamMember.objects.filter(pk=team_member.pk).delete()


class TeamMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        TEAM = "team", _("Team member")

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="team", verbose_name=_("initiative")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="team_roles",
        verbose_name=_("member"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.TEAM)
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["initiative", "member"], name="one_role_per_member")]

    def __str__(self):
        return _("%(member)s (%(role)s) in %(initiative)s") % {
            "member": self.member,
            "role": self.get_role_display(),
            "initiative": self.initiative,
        }


class Follow(models.Model):
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="follows", verbose_name=_("initiative")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows", verbose_name=_("member")
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["initiative", "member"], name="follow_once")]

    def __str__(self):
        return _("%(member)s follows %(initiative)s") % {"member": self.member, "initiative": self.initiative}


class Update(StoresRenderedMarkdown):
    """A transparency post. Followers get it by e-mail, through a background task."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="updates", verbose_name=_("initiative")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("text"), max_length=20000, help_text=_("You can use Markdown."))
    # The body as sanitised HTML, kept by StoresRenderedMarkdown.save(); NULL until rendered.
    body_rendered = models.TextField(null=True, editable=False)
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    # Set when the mailing task has queued a message for every follower (see tasks.py).
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    rendered_fields: ClassVar[dict[str, str]] = {"body": "body_rendered"}

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("initiatives:update", args=[self.initiative.slug, self.pk])

    @property
    def body_html(self) -> SafeString:
        return self.rendered_html("body")
