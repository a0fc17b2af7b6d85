"""Plain forms. Amounts are typed in major units ("12.50") and become integer minor units here."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samen.core.moments import sane_date

from . import money as amounts
from . import providers
from .models import Campaign, CampaignProject


def _currency_choices():
    return [(code, code) for code in amounts.currencies()]


class AmountMixin:
    """Turns cleaned 'amount' text plus 'currency' into `amount_minor`."""

    amount_field = "amount"

    def _minor(self, cleaned: dict, currency: str) -> int | None:
        text = cleaned.get(self.amount_field)
        if text in (None, "") or not currency:
            return None
        sign = amounts.decimal_sign()
        try:
            return amounts.to_minor(text, currency, decimal_sign=sign)
        except amounts.AmountError:
            self.add_error(  # type: ignore[attr-defined]
                self.amount_field,
                _(
                    "Enter an amount in digits, such as 25 or %(example)s: no other signs, and "
                    "“%(sign)s” before the cents."
                )
                % {"example": f"12{sign}50", "sign": sign},
            )
            return None


class DonateForm(AmountMixin, forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=_currency_choices)
    name = forms.CharField(label=_("Your name"), max_length=120, required=False)
    email = forms.EmailField(label=_("Your e-mail address"), help_text=_("For your receipt. Never shown."))
    message = forms.CharField(
        label=_("A message (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown with your gift, unless you give anonymously."),
    )
    anonymous = forms.BooleanField(label=_("Give anonymously: don't show my name"), required=False)
    monthly = forms.BooleanField(label=_("Repeat this gift every month"), required=False)
    provider = forms.ChoiceField(label=_("How will you pay?"), widget=forms.RadioSelect)
    promoter = forms.IntegerField(required=False, widget=forms.HiddenInput)
    project = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, currency: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.kind, p.label) for p in providers.available()]
        self.fields["provider"].choices = choices  # type: ignore[attr-defined]
        if choices:
            self.fields["provider"].initial = choices[0][0]
        if currency:
            self.fields["currency"].initial = currency

    def clean(self):
        cleaned = super().clean()
        minor = self._minor(cleaned, cleaned.get("currency", ""))
        if minor is not None:
            cleaned["amount_minor"] = minor
        return cleaned


class GoalForm(AmountMixin, forms.Form):
    amount = forms.CharField(label=_("Goal"), max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=_currency_choices)
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        validators=[sane_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        cleaned = super().clean()
        minor = self._minor(cleaned, cleaned.get("currency", ""))
        if minor is not None:
            if minor <= 0:
                self.add_error("amount", _("The goal must be more than nothing."))
            cleaned["amount_minor"] = minor
        return cleaned


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(label=_("What is it about?"), max_length=5000, widget=forms.Textarea)
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        validators=[sane_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    hours = forms.IntegerField(label=_("Length in hours"), min_value=1, max_value=24 * 90, initial=24)
    currency = forms.ChoiceField(label=_("Currency"), choices=_currency_choices, initial="EUR")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("hours"):
            cleaned["ends_at"] = cleaned["starts_at"] + timedelta(hours=cleaned["hours"])
            if cleaned["ends_at"] <= timezone.now():
                self.add_error("starts_at", _("The campaign would be over already."))
        return cleaned


class ProjectForm(AmountMixin, forms.Form):
    initiative = forms.SlugField(label=_("Initiative's web address (the part after /initiatives/)"))
    amount = forms.CharField(label=_("Target"), max_length=20)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean(self):
        cleaned = super().clean()
        minor = self._minor(cleaned, self.campaign.currency)
        if minor is not None:
            cleaned["amount_minor"] = minor
        return cleaned


class MatchingFundForm(AmountMixin, forms.Form):
    sponsor = forms.CharField(label=_("Sponsor"), max_length=140)
    amount = forms.CharField(label=_("Matches up to"), max_length=20)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean(self):
        cleaned = super().clean()
        minor = self._minor(cleaned, self.campaign.currency)
        if minor is not None:
            if minor <= 0:
                self.add_error("amount", _("The cap must be more than nothing."))
            cleaned["amount_minor"] = minor
        return cleaned


class JoinForm(AmountMixin, forms.Form):
    project = forms.ModelChoiceField(
        label=_("The project you raise money for"), queryset=CampaignProject.objects.none()
    )
    story = forms.CharField(
        label=_("Your story"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why you take part, in your own words. Your network will read it."),
    )
    amount = forms.CharField(label=_("Your target"), max_length=20)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        field = self.fields["project"]
        field.queryset = campaign.projects.select_related("initiative")  # type: ignore[attr-defined]
        field.label_from_instance = lambda project: project.initiative.title  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean()
        minor = self._minor(cleaned, self.campaign.currency)
        if minor is not None:
            if minor <= 0:
                self.add_error("amount", _("The target must be more than nothing."))
            cleaned["amount_minor"] = minor
        return cleaned
