from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from samen.core.geo import Place
from samen.core.text import render_markdown


class InitiativeQuerySet(models.QuerySet):
    def public(self):
        return self.exclude(status=Initiative.Status.DRAFT)


class Initiative(Place):
    """The hub: plans, tasks, fundraising and report maps all hang off an initiative."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One or two sentences."))
    story = models.TextField(_("story"), blank=True, max_length=20000, help_text=_("You can use Markdown."))
    causes = models.JSONField(_("causes"), default=list, blank=True)
    image = models.ImageField(_("image"), upload_to="initiatives/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    follower_count = models.PositiveIntegerField(_("followers"), default=0)

    objects = InitiativeQuerySet.as_manager()

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
    def story_html(self):
        return render_markdown(self.story)

    @classmethod
    def unique_slug(cls, title: str) -> str:
        base = slugify(title)[:70] or "initiative"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class TeamMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        TEAM = "team", _("Team member")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="team")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_roles")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.TEAM)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["initiative", "member"], name="one_role_per_member")]

    def __str__(self):
        return f"{self.member} ({self.get_role_display()}) @ {self.initiative}"


class Follow(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="follows")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["initiative", "member"], name="follow_once")]

    def __str__(self):
        return f"{self.member} follows {self.initiative}"


class Update(models.Model):
    """A transparency post. Followers get it by e-mail, through a background task."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("text"), max_length=20000, help_text=_("You can use Markdown."))
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    # Set when the mailing task has queued a message for every follower (see tasks.py).
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("initiatives:update", args=[self.initiative.slug, self.pk])

    @property
    def body_html(self):
        return render_markdown(self.body)
