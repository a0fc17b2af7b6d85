"""Django's own words on our pages (form errors, month names) speak every language, Haitian Creole too,
and dates in Haitian Creole are written the Haitian way."""

import gettext
from datetime import datetime
from pathlib import Path

import django
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.translation import gettext as _

from samen.core import django_messages

LANGUAGES = ["nl", "fr", "ht"]


def _django_catalogue() -> dict:
    """Django's French catalogue: it holds every text Django itself may show."""
    path = Path(django.__file__).parent / "conf" / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


def test_every_marked_text_is_still_djangos_own_to_the_letter():
    catalogue = _django_catalogue()
    singular = [*django_messages.FORM_ERRORS, *django_messages.MONTHS]
    # A lazy plural keeps what it was made with for pickling: (func, class, number, {singular, plural}).
    counted = [message.__reduce__()[1][3] for message in django_messages.FORM_ERRORS_COUNTED]

    assert [text for text in singular if text not in catalogue] == []
    assert [kw["singular"] for kw in counted if (kw["singular"], 0) not in catalogue] == []
    assert all(kw["plural"] for kw in counted)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_required_field_says_so_in_the_language(language):
    with translation.override(language):
        with pytest.raises(ValidationError) as raised:
            forms.CharField().clean("")
        messages = raised.value.messages

    assert messages != ["This field is required."]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_too_long_text_counts_in_the_language(language):
    with translation.override(language):
        with pytest.raises(ValidationError) as raised:
            forms.CharField(max_length=3).clean("abcdef")
        (message,) = raised.value.messages
    assert "Ensure" not in message
    assert "3" in message and "6" in message


@pytest.mark.parametrize("language", LANGUAGES)
def test_months_are_named_in_the_language(language):
    with translation.override(language):
        assert _("December") != "December"
        assert formats.date_format(datetime(2026, 12, 7), "DATE_FORMAT").startswith("7 ")


def test_haitian_dates_name_the_month_in_full_on_a_24_hour_clock():
    moment = datetime(2026, 12, 7, 14, 30)
    with translation.override("ht"):
        december = _("December")
        assert formats.date_format(moment, "DATE_FORMAT") == f"7 {december} 2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == f"7 {december} 2026, 14:30"
        assert formats.time_format(moment, "TIME_FORMAT") == "14:30"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "07/12/2026 14:30"
        # Numbers stay as Django writes them for Haitian Creole.
        assert formats.number_format(1234.5, 1, use_l10n=True, force_grouping=True) == "1\xa0234,5"
