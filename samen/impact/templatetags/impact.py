"""Display helpers for the ledger: money from minor units, and minutes as hours.

Money is stored as integer minor units plus an ISO 4217 code. How many minor units make a
major one differs per currency (100 cents in a euro, none for yen or Ugandan shillings), so a
small table says which currencies differ from the usual two decimals.
"""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

register = template.Library()

# ISO 4217 minor-unit exponents that are not 2. Currencies not listed have two decimals.
EXPONENTS = {
    # none
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # three
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

# Only symbols that are unambiguous to our readers; everything else shows its ISO code,
# which is what people in Kampala or Port-au-Prince see on their receipts anyway.
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "US$", "JPY": "¥", "INR": "₹", "NGN": "₦"}

NBSP = "\u00a0"
MINUS = "\u2212"  # the typographic minus sign, which screen readers read as "minus"


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def _symbol_first(language: str) -> bool:
    # French (and Haitian Creole, which follows French usage) write "12,50 €"; English and Dutch put it first.
    return language.split("-")[0] not in {"fr", "ht"}


@register.filter
def money(amount_minor, currency) -> str:
    """`{{ 1250|money:"EUR" }}` → "€12.50" in English, "€ 12,50" in Dutch, "12,50 €" in French.

    A negative amount (a refund taken back) reads "−€12.50": the minus sign leads, before the symbol.
    """
    if amount_minor in (None, "") or not currency:
        return ""
    if int(amount_minor) < 0:
        return MINUS + money(-int(amount_minor), currency)
    currency = str(currency).upper()
    places = exponent(currency)
    value = Decimal(int(amount_minor)).scaleb(-places)
    amount = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency)
    language = get_language() or "en"
    if symbol is None:
        return f"{currency}{NBSP}{amount}" if _symbol_first(language) else f"{amount}{NBSP}{currency}"
    if not _symbol_first(language):
        return f"{amount}{NBSP}{symbol}"
    # English writes the symbol against the number; Dutch puts a space in between.
    gap = NBSP if language.startswith("nl") else ""
    return f"{symbol}{gap}{amount}"


@register.filter
def hours(minutes) -> str:
    """`{{ 90|hours }}` → "1 h 30 min"; `{{ 120|hours }}` → "2 hours"; `{{ 45|hours }}` → "45 min"."""
    minutes = int(minutes or 0)
    whole, rest = divmod(minutes, 60)
    if whole == 0:
        return _("%(minutes)s min") % {"minutes": rest}
    count = number_format(whole, force_grouping=True)
    if rest == 0:
        return ngettext("%(count)s hour", "%(count)s hours", whole) % {"count": count}
    return _("%(hours)s h %(minutes)s min") % {"hours": count, "minutes": rest}
