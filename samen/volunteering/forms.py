from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samen.core.forms import TagListField
from samen.core.moments import sane_date

from .models import MAX_HOURS_NEEDED, MAX_MINUTES_PER_ENTRY, MAX_PLACES, Opportunity, Pledge


class OpportunityForm(forms.ModelForm):
    skills = TagListField(
        label=_("Skills"),
        help_text=_("Separated by commas, in any language. For example: translation, Dutch."),
    )
    languages = TagListField(
        label=_("Languages"), max_tags=10, help_text=_("Languages the work is done in, separated by commas.")
    )
    hours_needed = forms.IntegerField(label=_("Hours needed"), min_value=1, max_value=MAX_HOURS_NEEDED)
    places_available = forms.IntegerField(label=_("Places available"), min_value=1, max_value=MAX_PLACES)
    deadline = forms.DateField(
        label=_("Deadline"),
        required=False,
        validators=[sane_date],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "title",
            "description",
            "mode",
            "schedule",
            "hours_needed",
            "skills",
            "languages",
            "time_zone",
            "place_name",
            "latitude",
            "longitude",
            "deadline",
            "places_available",
            "status",
        ]
        widgets = {"mode": forms.RadioSelect, "schedule": forms.RadioSelect}


class ApplyForm(forms.Form):
    motivation = forms.CharField(
        label=_("Why you, in a sentence or two (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class HoursForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.25"),
        max_value=Decimal(MAX_MINUTES_PER_ENTRY // 60),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
        help_text=_("Between 0.25 and 24. For example 1.5 for an hour and a half."),
    )
    occurred_on = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[sane_date],
    )
    note = forms.CharField(label=_("What you did (optional)"), required=False, max_length=300)

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Hours cannot be logged for a day in the future."))
        return day

    @property
    def minutes(self) -> int:
        return int(round(self.cleaned_data["hours"] * 60))


class PledgeForm(forms.ModelForm):
    hours_per_month = forms.DecimalField(
        label=_("Hours a month"),
        min_value=Decimal("0"),
        max_value=Decimal("744"),
        decimal_places=2,
        help_text=_("1.6 hours a month is 1 percent of a 160-hour working month."),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    money_per_month = forms.DecimalField(
        label=_("Money a month"),
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    class Meta:
        model = Pledge
        fields = ["currency", "knowledge", "knowledge_items_per_month"]
        labels = {
            "knowledge": _("Knowledge I share"),
            "knowledge_items_per_month": _("Knowledge items a month"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pledge = self.instance
        self.fields["hours_per_month"].initial = Decimal(pledge.minutes_per_month) / 60
        self.fields["money_per_month"].initial = Decimal(pledge.amount_minor_per_month) / 100
        self.fields["currency"].widget.attrs["maxlength"] = 3

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("A three-letter currency code, for example EUR."))
        return currency

    def values(self) -> dict:
        data = self.cleaned_data
        try:
            money = int((data.get("money_per_month") or Decimal(0)) * 100)
        except InvalidOperation:  # pragma: no cover - the field already checked the number
            money = 0
        return {
            "minutes_per_month": int(round(data["hours_per_month"] * 60)),
            "amount_minor_per_month": money,
            "currency": data["currency"],
            "knowledge": data["knowledge"],
            "knowledge_items_per_month": data["knowledge_items_per_month"],
        }
