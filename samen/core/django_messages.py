"""Django's own words that reporters read, marked here so that our catalogue carries them.

Django ships no Haitian Creole: without these entries a Haitian reporter would read "This field is
required." and "December" in English. makemessages finds the strings in this module, so the root
catalogue (which overrides Django's own) translates them in every language the site offers. Each must be
Django's text to the letter; samen/core/tests/test_django_messages.py checks that it still is.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# The form errors of the fields on the report form, the alert form and the review pages.
FORM_ERRORS = [
    gettext_noop("This field is required."),
    gettext_noop("Enter a valid date/time."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("No file was submitted. Check the encoding type on the form."),
    gettext_noop("The submitted file is empty."),
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
]
FORM_ERRORS_COUNTED = [
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s digit in total.",
        "Ensure that there are no more than %(max)s digits in total.",
        "max",
    ),
    ngettext_lazy(
        "Ensure that there are no more than %(max)s decimal place.",
        "Ensure that there are no more than %(max)s decimal places.",
        "max",
    ),
]
# Dates on the report pages name the month ("F" in DATE_FORMAT); see samen/core/formats/.
MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
