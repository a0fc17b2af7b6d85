import pytest
from django.template import Context, Template
from django.utils import translation

from samen.impact.templatetags.impact import exponent, hours, money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "english"),
    [
        (1250, "EUR", "€12.50"),
        (5, "eur", "€0.05"),
        (123456789, "USD", "US$1,234,567.89"),
        (5000, "UGX", f"UGX{NBSP}5,000"),
        (2500, "RWF", f"RWF{NBSP}2,500"),
        (1000, "JPY", "¥1,000"),
        (1500, "KWD", f"KWD{NBSP}1.500"),
        # A refund taken back: the minus sign (U+2212) leads, before the symbol.
        (-1250, "EUR", "\u2212€12.50"),
        (-5000, "UGX", f"\u2212UGX{NBSP}5,000"),
    ],
)
def test_money_uses_the_currencys_own_decimals(amount, currency, english):
    with translation.override("en"):
        assert money(amount, currency) == english


def test_money_follows_the_language():
    with translation.override("nl"):
        assert money(123450, "EUR") == f"€{NBSP}1.234,50"
        assert money(5000, "UGX") == f"UGX{NBSP}5.000"
    with translation.override("fr"):
        assert money(1250, "EUR").endswith(f"12,50{NBSP}€")


def test_a_negative_amount_keeps_the_minus_in_front_in_every_language():
    with translation.override("nl"):
        assert money(-2500, "EUR") == f"\u2212€{NBSP}25,00"
    with translation.override("fr"):
        assert money(-2500, "EUR") == f"\u221225,00{NBSP}€"


def test_money_without_a_currency_shows_nothing():
    assert money(1250, "") == ""
    assert money(None, "EUR") == ""


def test_exponents_default_to_two_decimals():
    assert (exponent("EUR"), exponent("UGX"), exponent("BHD"), exponent("XYZ")) == (2, 0, 3, 2)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (60, "1 hour"),
        (120, "2 hours"),
        (90, "1 h 30 min"),
        (90_000, "1,500 hours"),
    ],
)
def test_hours_reads_naturally(minutes, text):
    with translation.override("en"):
        assert hours(minutes) == text


def test_the_filters_work_in_templates():
    template = Template('{% load impact %}{{ amount|money:"EUR" }} / {{ minutes|hours }}')
    with translation.override("en"):
        assert template.render(Context({"amount": 999, "minutes": 150})) == "€9.99 / 2 h 30 min"
