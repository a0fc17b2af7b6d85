"""Dates people can mean: from 1900 to the end of 2999.

Python's dates run from year 1 to 9999, and a date at either end breaks the first sum or time-zone
change made with it (the day after 9999-12-31, UTC midnight of 0001-01-01 seen from Port-au-Prince).
No report, deadline or hour log lies outside this range, so forms and the API refuse such a date
with a message instead of failing later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
OUT_OF_RANGE = _("Give a date between 1900 and 2999.")


def in_range(value: date | datetime) -> bool:
    """Whether the date (or the UTC date of an aware moment, the local one of a naive) is in range."""
    if isinstance(value, datetime):
        day = (value.astimezone(UTC) if value.tzinfo is not None and _convertible(value) else value).date()
    else:
        day = value
    return EARLIEST <= day <= LATEST


def _convertible(value: datetime) -> bool:
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def sane_date(value: date | datetime | None) -> None:
    """A form field validator: refuses dates outside 1900–2999."""
    if value is not None and not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")
