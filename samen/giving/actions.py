"""Everything that changes money, in one place; the web views, the API and the webhooks call these.

The state machine: new -> pending -> succeeded / failed, and succeeded -> refunded. A refund puts
a reversing line in the ledger. A monthly gift's later months arrive as repeats (record_repeat):
each is a donation of its own, linked to the first, entering at succeeded. A move is a
conditional UPDATE from the exact state it leaves (so two webhooks racing, or the same one twice,
move it once, and it never goes backwards). The counters on the goal, the campaign, the project
and the promoter change with F() in the same transaction, only when the move changes whether the
donation counts (see models.counts_toward_totals).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.impact import ledger
from samen.impact.templatetags.impact import money
from samen.messaging import outbox
from samen.outreach import attribution

from . import money as amounts
from . import providers
from .models import (
    Campaign,
    CampaignProject,
    Donation,
    FundraisingGoal,
    MatchingFund,
    Promoter,
    ProviderEvent,
    counts_toward_totals,
    is_promised,
)

logger = logging.getLogger(__name__)

State = Donation.State
SOURCE = "giving.donation"

# Where a state may be entered from. Nothing leads back.
ENTERED_FROM: dict[str, tuple[str, ...]] = {
    State.PENDING: (State.NEW,),
    State.SUCCEEDED: (State.NEW, State.PENDING),
    State.FAILED: (State.NEW, State.PENDING),
    State.REFUNDED: (State.SUCCEEDED,),
}
STAMPS: dict[str, str] = {
    State.SUCCEEDED: "succeeded_at",
    State.FAILED: "failed_at",
    State.REFUNDED: "refunded_at",
}


class DonationError(ValueError):
    """Input that cannot become a donation; `field` says which form field to show it beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Creating -------------------------------------------------------------------------------------


def check_amount(amount_minor: int, currency: str) -> None:
    try:
        amounts.check(amount_minor, currency)
    except amounts.AmountError as error:
        if str(error) == "currency":
            raise DonationError(
                _("We cannot take gifts in %(currency)s.") % {"currency": currency}, "currency"
            ) from None
        low, high = amounts.limits()[currency]
        raise DonationError(
            _("Give between %(low)s and %(high)s.")
            % {"low": money(low, currency), "high": money(high, currency)},
            "amount",
        ) from None


def create_donation(
    initiative,
    *,
    amount_minor: int,
    currency: str,
    email: str,
    provider: str = "pledge",
    name: str = "",
    message: str = "",
    anonymous: bool = False,
    monthly: bool = False,
    member=None,
    promoter: Promoter | None = None,
    project: CampaignProject | None = None,
    touch_ids: list[int] | tuple[int, ...] = (),
    return_url_for=None,
    webhook_url: str = "",
) -> tuple[Donation, str | None]:
    """Store a donation and start its payment; returns (donation, where the donor goes to pay).

    A promoter (or a project) ties the gift to its campaign only while the campaign runs: one made
    at or after the end is accepted for the initiative but counts in no campaign total, leaderboard
    or match (docs/giving.md, "Late gifts"). `return_url_for(donation)` builds the page the donor
    comes back to from the provider.
    """
    currency = (currency or "").upper()
    check_amount(amount_minor, currency)
    try:
        validate_email(email)
    except ValidationError:
        raise DonationError(_("Enter a valid e-mail address for your receipt."), "email") from None
    if not initiative.is_public or initiative.status != initiative.Status.OPEN:
        raise DonationError(_("This initiative does not take gifts now."))
    try:
        kind = providers.get(provider)
    except providers.ProviderError:
        raise DonationError(_("Choose a way to pay."), "provider") from None
    if not kind.is_configured():
        raise DonationError(_("Choose a way to pay."), "provider")
    if promoter is not None:
        if promoter.project.initiative_id != initiative.pk:
            raise DonationError(_("This promoter raises money for another initiative."))
        project = promoter.project
    if project is not None and project.initiative_id != initiative.pk:
        raise DonationError(_("This project is another initiative."))
    campaign = project.campaign if project is not None else None
    now = timezone.now()
    late = False
    if campaign is not None:
        if currency != campaign.currency:
            raise DonationError(
                _("This campaign counts gifts in %(currency)s.") % {"currency": campaign.currency}, "currency"
            )
        if not campaign.is_running(now):
            # Too early or too late: the gift is welcome, the campaign does not count it.
            late = campaign.has_ended(now)
            campaign, project, promoter = None, None, None
    donation = Donation.objects.create(
        initiative=initiative,
        member=member if member is not None and member.is_authenticated else None,
        name=name.strip(),
        email=email.strip(),
        amount_minor=amount_minor,
        currency=currency,
        message=message.strip(),
        anonymous=anonymous,
        monthly=monthly,
        provider=kind.kind,
        campaign=campaign,
        project=project,
        promoter=promoter,
        late_for_campaign=late,
        touch_ids=list(touch_ids),
        created_at=now,
    )
    return_url = return_url_for(donation) if return_url_for else ""
    try:
        started = kind.start(donation, return_url=return_url, webhook_url=webhook_url)
    except providers.ProviderError:
        logger.warning("payment start failed for donation %s", donation.pk, exc_info=True)
        transition(donation, State.FAILED)
        raise DonationError(
            _("The payment could not be started. Please try again, or choose another way.")
        ) from None
    Donation.objects.filter(pk=donation.pk).update(
        provider_ref=started.provider_ref, recurring_ref=started.recurring_ref
    )
    donation.provider_ref, donation.recurring_ref = started.provider_ref, started.recurring_ref
    if needs_confirmation(donation):
        # Stored, counted nowhere, until the donor follows the link mailed to them.
        Donation.objects.filter(pk=donation.pk).update(awaiting_confirmation=True)
        donation.awaiting_confirmation = True
        send_confirmation(donation)
        return donation, None
    transition(donation, State.PENDING)
    return donation, started.redirect_url


# --- Confirming a pledge by e-mail ----------------------------------------------------------------

CONFIRM_SALT = "samen.giving.pledge-confirm"


def confirm_threshold_minor(currency: str) -> int | None:
    """SAMEN_PLEDGE_CONFIRM_ABOVE (major units, the same number in every currency) in minor units;
    None when switched off."""
    from django.conf import settings

    above = getattr(settings, "SAMEN_PLEDGE_CONFIRM_ABOVE", None)
    if above is None or above == "":
        return None
    return amounts.to_minor(str(above), currency)


def needs_confirmation(donation: Donation) -> bool:
    """A pledge made without signing in, above the threshold: its e-mail address must be confirmed
    before it counts. A member's pledge counts at once: their address is known (the account's)."""
    if donation.provider != "pledge" or donation.member_id is not None or donation.parent_id:
        return False
    threshold = confirm_threshold_minor(donation.currency)
    return threshold is not None and donation.amount_minor > threshold


def confirm_token(donation: Donation) -> str:
    return signing.dumps(str(donation.public_id), salt=CONFIRM_SALT, compress=False)


def confirm_max_age_seconds() -> int:
    from django.conf import settings

    return int(getattr(settings, "SAMEN_PLEDGE_CONFIRM_DAYS", 7)) * 24 * 3600


class ConfirmLinkError(ValueError):
    """The link is forged or mangled (`expired` False), or too old (`expired` True)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "bad signature")
        self.expired = expired


def pledge_for_token(token: str) -> Donation:
    """The pledge a confirmation link names; ConfirmLinkError for a forged or expired link."""
    try:
        public_id = signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_max_age_seconds())
    except signing.SignatureExpired:
        raise ConfirmLinkError(expired=True) from None
    except signing.BadSignature:
        raise ConfirmLinkError(expired=False) from None
    try:
        donation = (
            Donation.objects.select_related("initiative")
            .filter(public_id=public_id, provider="pledge")
            .first()
        )
    except (ValueError, ValidationError):
        donation = None
    if donation is None:
        raise ConfirmLinkError(expired=False)
    return donation


def send_confirmation(donation: Donation) -> None:
    from django.conf import settings

    link = settings.SITE_URL + reverse("giving:confirm_pledge", args=[confirm_token(donation)])
    days = int(getattr(settings, "SAMEN_PLEDGE_CONFIRM_DAYS", 7))
    title = donation.initiative.title
    amount = money(donation.amount_minor, donation.currency)
    body = "\n".join(
        [
            _("Dear %(name)s,") % {"name": donation.name or _("supporter")},
            "",
            _("You pledged %(amount)s to %(title)s. Please confirm it with this link:")
            % {"amount": amount, "title": title},
            "",
            link,
            "",
            _("Until you confirm, your pledge is kept but not counted. The link works for %(days)s days.")
            % {"days": days},
            _("If you did not make this pledge, ignore this e-mail: nothing will be counted."),
        ]
    )
    outbox.send_email(
        donation.email,
        _("Confirm your pledge to %(title)s") % {"title": title},
        body,
        key=f"giving.pledge-confirm:{donation.pk}",
    )


def confirm_pledge(donation: Donation) -> bool:
    """The donor confirmed their e-mail address: the pledge counts from now. True if this call did.

    One conditional UPDATE (awaiting -> confirmed) guards the move, so a second click, or two at
    once, count it once; the move to pending then puts it in every total, in the same transaction.
    """
    with transaction.atomic():
        now = timezone.now()
        claimed = Donation.objects.filter(
            pk=donation.pk, provider="pledge", awaiting_confirmation=True, state=State.NEW
        ).update(awaiting_confirmation=False, confirmed_at=now)
        if not claimed:
            return False
        donation.awaiting_confirmation, donation.confirmed_at = False, now
        return transition(donation, State.PENDING)


# --- Moving ---------------------------------------------------------------------------------------


def transition(donation: Donation, to: str, *, provider_ref: str = "", recurring_ref: str = "") -> bool:
    """Move `donation` to `to` if it may go there from where it is now; True if this call moved it."""
    moved_from = None
    with transaction.atomic():
        fields: dict = {"state": to}
        if to in STAMPS:
            fields[STAMPS[to]] = timezone.now()
        if provider_ref:
            fields["provider_ref"] = provider_ref
        if recurring_ref:
            fields["recurring_ref"] = recurring_ref
        for source in ENTERED_FROM.get(to, ()):
            if Donation.objects.filter(pk=donation.pk, state=source).update(**fields) == 1:
                moved_from = source
                break
        if moved_from is None:
            return False
        for name, value in fields.items():
            setattr(donation, name, value)
        counted = counts_toward_totals(donation.provider, to) - counts_toward_totals(
            donation.provider, moved_from
        )
        promised = is_promised(donation.provider, to) - is_promised(donation.provider, moved_from)
        if counted or promised:
            _count(donation, counted, promised)
        if to == State.SUCCEEDED:
            _after_success(donation)
        elif to == State.REFUNDED:
            _after_refund(donation)
    return True


def _count(donation: Donation, sign: int, promised_sign: int) -> None:
    """Move every total the donation is in: `sign` (-1, 0, 1) whether it counts, `promised_sign`
    whether it is only promised. A pledge marked paid moves 0 and -1: the same money, received now."""
    amount = F("raised_minor") + sign * donation.amount_minor
    promised = F("promised_minor") + promised_sign * donation.amount_minor
    # A later month of a monthly gift adds money, not another supporter.
    supporters = F("supporter_count") + (0 if donation.parent_id else sign)
    FundraisingGoal.objects.filter(initiative_id=donation.initiative_id, currency=donation.currency).update(
        raised_minor=amount, promised_minor=promised, supporter_count=supporters
    )
    if donation.campaign_id is None:
        return
    fields = {
        "raised_minor": amount,
        "promised_minor": promised,
        "donation_count": F("donation_count") + sign,
    }
    Campaign.objects.filter(pk=donation.campaign_id).update(**fields)
    if donation.project_id:
        CampaignProject.objects.filter(pk=donation.project_id).update(**fields)
    if donation.promoter_id:
        Promoter.objects.filter(pk=donation.promoter_id).update(**fields)


def _after_success(donation: Donation) -> None:
    """The receipt, the ledger line and the conversion: each idempotent on the donation's id."""
    initiative = donation.initiative
    if donation.parent_id:
        description = _("Monthly donation to %(title)s") % {"title": initiative.title}
    else:
        description = _("Donation to %(title)s") % {"title": initiative.title}
    ledger.record(
        kind=ledger.Kind.MONEY,
        initiative=initiative,
        source=SOURCE,
        source_ref=str(donation.pk),
        member=donation.member,
        amount_minor=donation.amount_minor,
        currency=donation.currency,
        description=description,
    )
    attribution.record_conversion(
        kind=attribution.DONATION,
        source=SOURCE,
        source_ref=str(donation.pk),
        member=donation.member,
        touch_ids=donation.touch_ids or (),
        initiative=initiative,
        amount_minor=donation.amount_minor,
        currency=donation.currency,
    )
    outbox.send_email(
        donation.email,
        _("Thank you for your gift to %(title)s") % {"title": initiative.title},
        receipt_text(donation),
        key=f"giving.receipt:{donation.pk}",
        member=donation.member,
    )


def _after_refund(donation: Donation) -> None:
    """The ledger takes the gift back: a reversing line, once per donation, lowers every total.
    The outreach conversion goes, so no dashboard counts money that was returned."""
    attribution.withdraw_conversion(source=SOURCE, source_ref=str(donation.pk))
    ledger.record_reversal(
        source=SOURCE,
        source_ref=str(donation.pk),
        reversal_ref=f"{donation.pk}:refund",
        description=_("Refund of donation to %(title)s") % {"title": donation.initiative.title},
    )


def receipt_text(donation: Donation) -> str:
    from django.conf import settings

    lines = [
        _("Dear %(name)s,") % {"name": donation.name or _("supporter")},
        "",
        _("We received your gift of %(amount)s to %(title)s. Thank you.")
        % {"amount": money(donation.amount_minor, donation.currency), "title": donation.initiative.title},
        "",
        _("Receipt number: %(id)s") % {"id": donation.public_id},
        _("Date: %(date)s") % {"date": timezone.localtime(donation.succeeded_at or timezone.now()).date()},
    ]
    if donation.monthly or donation.parent_id:
        lines.append(_("You chose to give this every month."))
    lines += ["", settings.SITE_URL + reverse("giving:donation", args=[donation.public_id])]
    return "\n".join(lines)


def stop_monthly(donation: Donation) -> bool:
    """The donor ends their monthly gift: the provider charges no further month. True if this call did.

    What was given stays given; only later months stop. Safe to press twice.
    """
    if not donation.monthly or donation.parent_id:
        raise DonationError(_("This is not a monthly gift."))
    if donation.recurring_ended_at is not None:
        return False
    try:
        providers.get(donation.provider).stop_repeats(donation)
    except providers.ProviderError as error:
        raise DonationError(
            _("Your monthly gift could not be stopped: %(error)s") % {"error": error}
        ) from None
    now = timezone.now()
    stopped = Donation.objects.filter(pk=donation.pk, recurring_ended_at=None).update(recurring_ended_at=now)
    if stopped:
        donation.recurring_ended_at = now
    return bool(stopped)


def mark_paid(donation: Donation) -> bool:
    """The owner received a pledge's money."""
    if donation.provider != "pledge":
        raise DonationError(_("Only pledges are marked paid by hand; the provider reports the others."))
    return transition(donation, State.SUCCEEDED)


def mark_unpaid(donation: Donation) -> bool:
    """The pledge was never paid."""
    if donation.provider != "pledge":
        raise DonationError(_("Only pledges are marked unpaid by hand; the provider reports the others."))
    return transition(donation, State.FAILED)


def refund(donation: Donation) -> bool:
    if donation.state != State.SUCCEEDED:
        raise DonationError(_("Only a paid donation can be refunded."))
    try:
        providers.get(donation.provider).refund(donation)
    except providers.ProviderError as error:
        raise DonationError(_("The refund failed: %(error)s") % {"error": error}) from None
    return transition(donation, State.REFUNDED)


def apply_webhook(kind: str, result: providers.WebhookResult) -> int:
    """Apply what a verified webhook says; returns how many donations moved. A repeat moves none.

    One transaction: if applying fails, the event is not remembered either, so the provider's
    retry is applied rather than skipped.
    """
    with transaction.atomic():
        if result.event_id:
            try:
                with transaction.atomic():
                    ProviderEvent.objects.create(provider=kind, event_id=result.event_id)
            except IntegrityError:
                return 0
        moved = 0
        for update in result.updates:
            donation = _find(kind, update)
            if donation is None:
                logger.info("%s webhook for a donation we do not know: %s", kind, update)
                continue
            if update.subscription_ref:
                # Stored whether or not the state moves: the subscription exists at the provider now.
                Donation.objects.filter(pk=donation.pk, subscription_ref="").update(
                    subscription_ref=update.subscription_ref
                )
            moved += transition(
                donation, update.state, provider_ref=update.provider_ref, recurring_ref=update.recurring_ref
            )
        for repeat in result.repeats:
            moved += record_repeat(kind, repeat) is not None
        for stopped in result.stopped:
            Donation.objects.filter(
                provider=kind, parent=None, recurring_ref=stopped.recurring_ref, recurring_ended_at=None
            ).exclude(recurring_ref="").update(recurring_ended_at=stopped.at or timezone.now())
    return moved


def record_repeat(kind: str, repeat: providers.Repeat) -> Donation | None:
    """A later month of a monthly gift, paid: a new succeeded donation under the first one.

    Once per provider payment: the partial unique constraint giving_repeat_once makes a repeat (or
    a concurrent retry) of the same webhook a no-op, which returns None. The new donation goes
    through the usual success path (totals, receipt, ledger, conversion). It counts for the
    initiative, and for the first gift's campaign only while that campaign still runs: a
    donation after the end does not count for the campaign (docs/giving.md, "Late gifts").
    """
    parents = Donation.objects.filter(
        provider=kind, parent=None, monthly=True, recurring_ref=repeat.recurring_ref
    ).exclude(recurring_ref="")
    if repeat.subscription_ref:
        parents = parents.filter(subscription_ref=repeat.subscription_ref)
    parent = parents.select_related("initiative", "campaign").order_by("created_at", "id").first()
    if parent is None:
        logger.info("%s repeat for a monthly gift we do not know: %s", kind, repeat)
        return None
    now = timezone.now()
    campaign = parent.campaign
    running = campaign is not None and campaign.is_running(now) and campaign.currency == repeat.currency
    try:
        with transaction.atomic():
            child = Donation.objects.create(
                parent=parent,
                initiative=parent.initiative,
                member_id=parent.member_id,
                name=parent.name,
                email=parent.email,
                amount_minor=repeat.amount_minor,
                currency=repeat.currency,
                anonymous=parent.anonymous,
                provider=kind,
                provider_ref=repeat.provider_ref,
                campaign=campaign if running else None,
                project_id=parent.project_id if running else None,
                promoter_id=parent.promoter_id if running else None,
                touch_ids=list(parent.touch_ids or ()),
                created_at=now,
            )
    except IntegrityError:
        if Donation.objects.filter(
            provider=kind, provider_ref=repeat.provider_ref, parent__isnull=False
        ).exists():
            return None  # this payment is a repeat already
        raise
    transition(child, State.SUCCEEDED)
    return child


def _find(kind: str, update: providers.StatusUpdate) -> Donation | None:
    donations = Donation.objects.filter(provider=kind).select_related("initiative")
    if update.public_id:
        try:
            return donations.filter(public_id=update.public_id).first()
        except (ValueError, ValidationError):  # not a UUID: nothing of ours
            return None
    if update.provider_ref:
        return donations.filter(provider_ref=update.provider_ref).first()
    return None


# --- Campaigns ------------------------------------------------------------------------------------


@dataclass
class Match:
    fund: MatchingFund
    matched_minor: int

    @property
    def percent(self) -> int:
        return self.matched_minor * 100 // self.fund.cap_minor


@dataclass
class Matching:
    matches: list[Match]
    raised_minor: int

    @property
    def matched_minor(self) -> int:
        return sum(m.matched_minor for m in self.matches)

    @property
    def total_minor(self) -> int:
        return self.raised_minor + self.matched_minor


def matching_for(campaign: Campaign, funds: list[MatchingFund] | None = None) -> Matching:
    """Each sponsor matches 1:1, in the order they joined, what the earlier ones left unmatched."""
    funds = list(campaign.matching_funds.all()) if funds is None else funds
    left = max(campaign.raised_minor, 0)
    matches = []
    for fund in funds:
        matched = min(fund.cap_minor, left)
        left -= matched
        matches.append(Match(fund, matched))
    return Matching(matches, campaign.raised_minor)


def add_project(campaign: Campaign, initiative, *, target_minor: int) -> CampaignProject:
    try:
        with transaction.atomic():
            project = CampaignProject.objects.create(
                campaign=campaign, initiative=initiative, target_minor=target_minor
            )
            campaign.board_changed()
            return project
    except IntegrityError:
        raise DonationError(_("This initiative already takes part."), "initiative") from None


def add_matching_fund(campaign: Campaign, *, sponsor: str, cap_minor: int) -> MatchingFund:
    with transaction.atomic():
        fund = MatchingFund.objects.create(campaign=campaign, sponsor=sponsor, cap_minor=cap_minor)
        campaign.board_changed()
        return fund


def join_campaign(
    campaign: Campaign, member, *, project: CampaignProject, story: str, target_minor: int
) -> Promoter:
    if project.campaign_id != campaign.pk:
        raise DonationError(_("Choose a project of this campaign."), "project")
    if campaign.has_ended():
        raise DonationError(_("This campaign has ended."))
    try:
        with transaction.atomic():
            promoter = Promoter.objects.create(
                campaign=campaign,
                member=member,
                project=project,
                story=story.strip(),
                target_minor=target_minor,
            )
            campaign.board_changed()
            return promoter
    except IntegrityError:
        raise DonationError(_("You already promote in this campaign.")) from None
