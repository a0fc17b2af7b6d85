from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samen.core.geo import Place


class MemberManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A member needs an e-mail address.")
        member = self.model(email=self.normalize_email(email).lower(), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Member(AbstractBaseUser, PermissionsMixin, Place):
    """A person on Samen. Logs in with an e-mail address; the profile lives on the same row."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        MEMBERS = "members", _("Signed-in members")
        PRIVATE = "private", _("Only me")

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    bio = models.TextField(_("about me"), blank=True, max_length=2000)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    causes = models.JSONField(_("causes"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    availability_hours = models.PositiveSmallIntegerField(
        _("hours available per month"), default=0, help_text=_("How many hours a month you could give.")
    )
    # E.164, checked with phonenumbers in the profile form; private (see people.access).
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    contact_by_email = models.BooleanField(_("contact me by e-mail"), default=True)
    contact_by_sms = models.BooleanField(_("contact me by SMS"), default=False)
    profile_visibility = models.CharField(
        _("who can see my profile"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    show_place = models.BooleanField(_("show my place on my profile"), default=True)
    open_to_invitations = models.BooleanField(
        _("teams may invite me to help where my skills fit"), default=True
    )

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name", "email"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.display_name
