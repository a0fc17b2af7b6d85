"""The API validates with the same forms as the web pages, so a rule lives in one place.

JSON is turned into the form's data here; a form that does not validate becomes a 400 that
lists every field's errors (see errors.py).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from samen.api.schemas import PlaceIn
from samen.initiatives.forms import CreateInitiativeForm, InitiativeForm
from samen.initiatives.models import Initiative


class ApiInitiativeForm(InitiativeForm):
    # Images are uploaded on the web page only: a JSON API is the wrong place for files.
    image = None  # type: ignore[assignment]

    class Meta(InitiativeForm.Meta):
        fields = [name for name in InitiativeForm.Meta.fields if name != "image"]


class ApiCreateInitiativeForm(CreateInitiativeForm):
    image = None  # type: ignore[assignment]

    class Meta(CreateInitiativeForm.Meta):
        fields = [name for name in CreateInitiativeForm.Meta.fields if name != "image"]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What will use this token? For example: “my phone app” or “spreadsheet import”."),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Give the token a name."), code="required")
        return name


def _coordinate(value: float | None) -> str:
    # The model keeps six decimals (about 10 cm); more precision from a GPS is noise, not an error.
    return "" if value is None else str(round(value, 6))


def place_data(place: PlaceIn) -> dict:
    return {
        "place_name": place.name,
        "latitude": _coordinate(place.latitude),
        "longitude": _coordinate(place.longitude),
    }


def initiative_data(initiative: Initiative) -> dict:
    """The form data that leaves `initiative` as it is: the base a PATCH is laid over.

    Taken from the form's own field list, so a field the initiatives app adds later is kept
    rather than blanked by a PATCH that does not mention it.
    """
    return model_to_dict(initiative, fields=ApiInitiativeForm.Meta.fields)


def validated(form: forms.BaseForm) -> dict:
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data
