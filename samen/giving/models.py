"""Fundraising goals, donations, campaigns with promoters, and matching funds.

Money is integer minor units plus an ISO 4217 code, never a float. The running totals on goals,
campaigns, projects and promoters are denormalised counters that only ever change with F()
expressions, in the same transaction as the conditional UPDATE that moves a donation's state, so
concurrent donations add up exactly and a state change is counted once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import charts


class Totals:
    """Money counted (raised_minor) split into received and promised, for every page that shows it.

    raised_minor and promised_minor are the two counters actions keep with F(); received is
    paid money (a provider's succeeded payment, or a pledge the owner marked paid).
    """

    raised_minor: int
    promised_minor: int

    @property
    def received_minor(self) -> int:
        return self.raised_minor - self.promised_minor

    def progress_toward(self, target_minor: int) -> charts.Progress:
        return charts.progress(self.received_minor, self.promised_minor, target_minor)


class FundraisingGoal(Totals, models.Model):
    initiative = models.OneToOneField(
        "initiatives.Initiative", on_delete=models.CASCADE, related_name="fundraising_goal"
    )
    amount_minor = models.PositiveBigIntegerField(_("goal"))
    currency = models.CharField(_("currency"), max_length=3)
    deadline = models.DateTimeField(_("deadline"))
    # Donations in the goal's currency that count (paid, or promised as a pledge); kept by actions.
    # promised_minor is the part of raised_minor only promised (pledges not yet paid): received is
    # the rest (see Totals above).
    raised_minor = models.BigIntegerField(default=0, editable=False)
    promised_minor = models.BigIntegerField(default=0, editable=False)
    supporter_count = models.IntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("fundraising goal")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="giving_goal_amount_positive"),
        ]

    def __str__(self):
        return f"{self.initiative}: {self.amount_minor} {self.currency}"

    @property
    def percent(self) -> int:
        """Whole percent reached, received and promised together (capped at 100)."""
        return min(100, self.raised_minor * 100 // self.amount_minor) if self.amount_minor else 0

    @property
    def progress(self) -> charts.Progress:
        return self.progress_toward(self.amount_minor)

    @property
    def is_over(self) -> bool:
        return timezone.now() >= self.deadline


class Campaign(Totals, models.Model):
    """A time-boxed action (say 24 hours) in which promoters raise money for projects."""

    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    raised_minor = models.BigIntegerField(default=0, editable=False)
    promised_minor = models.BigIntegerField(default=0, editable=False)
    donation_count = models.IntegerField(default=0, editable=False)
    # Goes up when the leaderboard gains a row or a sponsor (totals have their own counters above);
    # with them it keys the cached leaderboard (views.leaderboard_html).
    board_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="giving_campaign_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("giving:campaign", args=[self.slug])

    def is_running(self, at=None) -> bool:
        """Half-open: a donation made at exactly ends_at is late."""
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at

    def has_ended(self, at=None) -> bool:
        return (at or timezone.now()) >= self.ends_at

    def has_started(self, at=None) -> bool:
        return (at or timezone.now()) >= self.starts_at

    def board_changed(self) -> None:
        Campaign.objects.filter(pk=self.pk).update(board_version=F("board_version") + 1)


class CampaignProject(Totals, models.Model):
    """An initiative taking part in a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="projects")
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="+")
    target_minor = models.PositiveBigIntegerField(_("target"), default=0)
    raised_minor = models.BigIntegerField(default=0, editable=False)
    promised_minor = models.BigIntegerField(default=0, editable=False)
    donation_count = models.IntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("campaign project")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "initiative"], name="giving_project_once"),
        ]
        ordering = ["id"]

    def __str__(self):
        return f"{self.campaign}: {self.initiative}"


class Promoter(Totals, models.Model):
    """A member raising money in their own network for one project of a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="promoters")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(CampaignProject, on_delete=models.CASCADE, related_name="promoters")
    story = models.TextField(_("your story"), max_length=3000)
    target_minor = models.PositiveBigIntegerField(_("target"))
    raised_minor = models.BigIntegerField(default=0, editable=False)
    promised_minor = models.BigIntegerField(default=0, editable=False)
    donation_count = models.IntegerField(default=0, editable=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("promoter")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="giving_promoter_once"),
            models.CheckConstraint(condition=Q(target_minor__gt=0), name="giving_promoter_target_positive"),
        ]
        ordering = ["id"]

    def __str__(self):
        return f"{self.member} in {self.campaign}"

    def get_absolute_url(self):
        return reverse("giving:promoter", args=[self.campaign.slug, self.pk])

    @property
    def percent(self) -> int:
        return min(100, self.raised_minor * 100 // self.target_minor) if self.target_minor else 0

    @property
    def progress(self) -> charts.Progress:
        return self.progress_toward(self.target_minor)


class MatchingFund(models.Model):
    """A sponsor's promise to match gifts in a campaign 1:1, up to a cap."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="matching_funds")
    sponsor = models.CharField(_("sponsor"), max_length=140)
    cap_minor = models.PositiveBigIntegerField(_("cap"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("matching fund")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(cap_minor__gt=0), name="giving_match_cap_positive"),
        ]

    def __str__(self):
        return self.sponsor


class Donation(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("New")
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"))
    amount_minor = models.PositiveBigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    message = models.CharField(_("message"), max_length=500, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    monthly = models.BooleanField(_("monthly"), default=False)
    provider = models.CharField(_("payment method"), max_length=20)
    provider_ref = models.CharField(max_length=120, blank=True, db_index=True)
    # The provider's recurring handle: a Stripe subscription, a Mollie customer (for the mandate).
    recurring_ref = models.CharField(max_length=120, blank=True)
    # Mollie only: the subscription made on that customer once the first payment is paid (on
    # Stripe the subscription is recurring_ref itself).
    subscription_ref = models.CharField(max_length=120, blank=True)
    # When the provider stopped the monthly repeat (the donor or the team cancelled it).
    recurring_ended_at = models.DateTimeField(_("monthly gift stopped"), null=True, blank=True)
    # A later month of a monthly gift: its own donation (own receipt, ledger line and refund),
    # pointing at the first one, which holds the provider's recurring handle.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repeats"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    # Set only for a donation made while its campaign ran (see actions.create_donation).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="donations"
    )
    project = models.ForeignKey(
        CampaignProject, on_delete=models.SET_NULL, null=True, blank=True, related_name="donations"
    )
    promoter = models.ForeignKey(
        Promoter, on_delete=models.SET_NULL, null=True, blank=True, related_name="donations"
    )
    # The promoter whose link brought a donation that came too late for the campaign; kept for thanks.
    late_for_campaign = models.BooleanField(default=False)
    touch_ids = models.JSONField(default=list, blank=True)
    # An anonymous pledge above SAMEN_PLEDGE_CONFIRM_ABOVE waits (in state new, counted nowhere)
    # until its donor follows the signed link mailed to them (actions.confirm_pledge).
    awaiting_confirmation = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("donation")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="giving_donation_amount_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["new", "pending", "succeeded", "failed", "refunded"]),
                name="giving_donation_state_known",
            ),
            # A provider's payment becomes one repeat, however often (and however concurrently)
            # its webhook arrives.
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=Q(parent__isnull=False),
                name="giving_repeat_once",
            ),
        ]
        indexes = [models.Index(fields=["initiative", "state"])]

    def __str__(self):
        return f"{self.amount_minor} {self.currency} ({self.state})"

    def get_absolute_url(self):
        return reverse("giving:donation", args=[self.public_id])

    @property
    def display_name(self) -> str:
        return "" if self.anonymous else (self.name or "")

    @property
    def counts(self) -> bool:
        return counts_toward_totals(self.provider, self.state)

    @property
    def is_repeat(self) -> bool:
        return self.parent_id is not None


def counts_toward_totals(provider: str, state: str) -> bool:
    """A gift counts once paid; a pledge counts as soon as it is promised (and stops if it fails)."""
    if state == Donation.State.SUCCEEDED:
        return True
    return is_promised(provider, state)


def is_promised(provider: str, state: str) -> bool:
    """Counted but not received: a pledge (confirmed, if it had to be) that is not yet paid."""
    return provider == "pledge" and state == Donation.State.PENDING


# The same two rules as queries, for recounts, the data migration and the team's dashboard.
RECEIVED = Q(state="succeeded")
PROMISED = Q(state="pending", provider="pledge")


class ProviderEvent(models.Model):
    """Each webhook delivery a provider made, once: a repeat is recognised and changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="giving_event_once"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"
