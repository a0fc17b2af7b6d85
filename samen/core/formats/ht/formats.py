"""Dates and times for Haitian Creole: "7 desanm 2026, 14:30".

Django's own formats for "ht" write dates the American way ("Dec. 7, 2026, 2:30 p.m."), with
abbreviations and a.m./p.m. that it has no Haitian Creole words for. These name the month in full
(translated in our catalogue, samen/core/django_messages.py) and use the 24-hour clock.
"""

from django.conf.locale.ht.formats import *  # noqa: F403  (numbers and input formats stay Django's)

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
