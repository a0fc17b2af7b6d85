from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from zoneinfo import available_timezones

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from samen.core.causes import CAUSES
from samen.core.forms import TagListField

from .models import Member

MAX_HOURS_PER_MONTH = 200
# The model stores six decimal places (about 10 cm); more precision than that is noise from a GPS.
COORDINATE_STEP = Decimal("0.000001")


@cache
def _time_zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def normalise_phone(text: str) -> str:
    """Return the number in E.164, or raise ValidationError with a message a person can act on.

    We ask for the country code rather than guess a region: members sign up from anywhere,
    and a guessed region would silently turn a valid foreign number into a wrong one.
    """
    text = text.strip()
    if text.startswith("00"):
        # The international prefix most of Europe and Africa dials instead of "+".
        text = "+" + text[2:]
    if not text.startswith("+"):
        raise forms.ValidationError(
            _("Start with + and the country code, for example +31 6 12345678."), code="no_country_code"
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise forms.ValidationError(
            _("This does not look like a phone number. Try for example +31 6 12345678."), code="unparsable"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(
            _("This is not a valid phone number for its country. Check the digits and the country code."),
            code="invalid_number",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class CoordinateField(forms.DecimalField):
    """A latitude or longitude: range-checked, and rounded rather than refused when too precise."""

    def __init__(self, *, limit: int, message, **kwargs):
        kwargs.setdefault("required", False)
        # A text box, not type=number: browsers submit an empty value for input they cannot parse
        # (such as "52,37"), and the member would lose what they typed without a word.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            error_messages={"min_value": message, "max_value": message},
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            # Half the world writes a decimal comma.
            value = value.strip().replace(",", ".")
        number = super().to_python(value)
        if number is None or abs(number) > self.max_value:
            # Out of range is the validators' job; quantizing 1e30 would overflow the decimal context.
            return number
        return number.quantize(COORDINATE_STEP, rounding=ROUND_HALF_EVEN)


class ProfileForm(forms.ModelForm):
    """Everything a member says about themselves, except the e-mail address and password.

    Those two belong to allauth's own pages, which verify a new address before using it.
    """

    skills = TagListField(
        label=_("Skills"),
        help_text=_(
            "What you can offer, separated by commas. For example: translation, bookkeeping, nursing."
        ),
    )
    causes = forms.MultipleChoiceField(
        label=_("Causes you care about"),
        choices=CAUSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = TagListField(
        label=_("Languages"),
        max_tags=15,
        help_text=_("Languages you can work in, separated by commas. For example: English, Dutch, Kreyòl."),
    )
    latitude = CoordinateField(
        label=_("Latitude"),
        limit=90,
        message=_("Latitude must be between -90 and 90."),
        help_text=_("Optional, in decimal degrees, for example 52.3676. Helps teams nearby find you."),
    )
    longitude = CoordinateField(
        label=_("Longitude"),
        limit=180,
        message=_("Longitude must be between -180 and 180."),
        help_text=_("Optional, in decimal degrees, for example 4.9041."),
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("A name such as Europe/Amsterdam, Africa/Nairobi or America/Port-au-Prince."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    availability_hours = forms.IntegerField(
        label=_("Hours available per month"),
        required=False,
        min_value=0,
        max_value=MAX_HOURS_PER_MONTH,
        # The number is spelled out: interpolating into a lazy string at import would freeze its language.
        help_text=_("Between 0 and 200. An estimate is fine."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=32,
        help_text=_(
            "With the country code, for example +31 6 12345678. Only you and Samen staff can see it."
        ),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "bio",
            "skills",
            "causes",
            "languages",
            "place_name",
            "latitude",
            "longitude",
            "time_zone",
            "availability_hours",
            "phone",
            "contact_by_email",
            "contact_by_sms",
            "profile_visibility",
            "show_place",
            "open_to_invitations",
        ]
        labels = {
            "name": _("Name"),
            "bio": _("About me"),
            "place_name": _("Place"),
            "contact_by_email": _("Contact me by e-mail"),
            "contact_by_sms": _("Contact me by SMS"),
            "profile_visibility": _("Who can see my profile"),
        }
        help_texts = {
            "name": _("As you would like others to see it."),
            "bio": _(
                "A few lines about you and what you would like to do. Contact details are hidden from others."
            ),
            "place_name": _("A town or region is enough."),
            "show_place": _("Coordinates are never shown; they only help match you with nearby initiatives."),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "bio": forms.Textarea(attrs={"rows": 5}),
            "place_name": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "profile_visibility": forms.RadioSelect,
        }

    def clean_time_zone(self):
        typed = self.cleaned_data["time_zone"].strip()
        # Accept "europe/amsterdam" but store the canonical spelling zoneinfo knows.
        canonical = _time_zones_by_lower_name().get(typed.lower().replace(" ", "_"))
        if canonical is None:
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone we know. Use a name such as Europe/Amsterdam.")
                % {"zone": typed[:64]},
                code="unknown_time_zone",
            )
        return canonical

    def clean_availability_hours(self):
        hours = self.cleaned_data["availability_hours"]
        return 0 if hours is None else hours

    def clean_phone(self):
        typed = self.cleaned_data["phone"]
        return normalise_phone(typed) if typed.strip() else ""

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        # Only judge the pair when both fields parsed; otherwise their own errors already say why.
        if (
            "latitude" not in self.errors
            and "longitude" not in self.errors
            and (latitude is None) != (longitude is None)
        ):
            missing = "longitude" if longitude is None else "latitude"
            self.add_error(missing, _("Give both latitude and longitude, or neither."))
        if cleaned.get("contact_by_sms") and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("contact_by_sms", _("Add a mobile phone number to be contacted by SMS."))
        return cleaned
