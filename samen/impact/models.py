from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Contribution(models.Model):
    """One line in the single ledger of what people give: money, time or knowledge.

    Feature apps record through `samen.impact.ledger.record()`. Each line names its source
    (for example "giving.donation", "42"), which is unique, so recording twice changes nothing.
    """

    class Kind(models.TextChoices):
        MONEY = "money", _("Money")
        TIME = "time", _("Time")
        KNOWLEDGE = "knowledge", _("Knowledge")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("member"),
    )
    initiative = models.ForeignKey(
        "initiatives.Initiative",
        on_delete=models.CASCADE,
        related_name="contributions",
        verbose_name=_("initiative"),
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Set on a line that takes an earlier money line back (a refunded donation): same member,
    # initiative and currency, the amount negated, so every total drops back without rewriting history.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    source = models.CharField(_("source"), max_length=60)
    source_ref = models.CharField(_("source reference"), max_length=80)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="one_line_per_source"),
            models.CheckConstraint(
                condition=~models.Q(kind="money")
                | (
                    ~models.Q(currency="")
                    & (
                        (models.Q(amount_minor__gt=0) & models.Q(reverses__isnull=True))
                        | (models.Q(amount_minor__lt=0) & models.Q(reverses__isnull=False))
                    )
                ),
                name="money_has_amount_and_currency",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="time") | models.Q(minutes__gt=0), name="time_has_minutes"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-occurred_at"]),
            models.Index(fields=["initiative", "kind"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.initiative_id} ({self.source}:{self.source_ref})"
