"""Amounts: parsing what people type into minor units, and the limits per currency.

Minor units per currency come from the ledger's display table (impact.templatetags.money), so
"12.50" is 1250 euro cents but 12 Ugandan shillings cannot have decimals at all.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.utils import formats

from samen.impact.templatetags.impact import exponent

# (minimum, maximum) in minor units. A currency not listed here cannot be given in.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "EUR": (100, 1_000_000),  # €1 to €10,000
    "USD": (100, 1_000_000),
    "GBP": (100, 1_000_000),
    "KES": (10_000, 100_000_000),  # KES 100 to KES 1,000,000
    "UGX": (1_000, 40_000_000),  # no minor unit: UGX 1,000 to UGX 40,000,000
    "XOF": (500, 6_500_000),
    "HTG": (10_000, 130_000_000),
}


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "SAMEN_GIVING_LIMITS", {})}


def currencies() -> list[str]:
    return sorted(limits())


class AmountError(ValueError):
    pass


# Digits as people group them with spaces ("1 000", also the no-break spaces phones put in), then at
# most one decimal sign and its digits. ASCII digits only: "١٢" and "１２" are not amounts here, and
# neither are "1E2", "1_000", "+5", "Infinity" or "1,000.50", which Decimal() or a locale would read.
_AMOUNT = re.compile(r"([0-9]+(?:[ \u00a0\u202f][0-9]+)*)(?:([.,])([0-9]+))?", re.ASCII)


def to_minor(text: str, currency: str, *, decimal_sign: str | None = None) -> int:
    """'12.50' EUR -> 1250. Plain decimals only: digits, spaces between groups, one decimal sign.

    `decimal_sign` is the reader's (formats' DECIMAL_SEPARATOR: "," in Dutch, "." in English), and
    the other sign is then refused rather than guessed: "1.500" in Dutch is not €1.50. Without it
    either sign is the decimal one (providers' and imports' "12.50"). Refuses more decimals than
    the currency has.
    """
    match = _AMOUNT.fullmatch((text or "").strip())
    if match is None:
        raise AmountError("not a plain decimal number")
    whole, sign, fraction = match.groups()
    if sign and decimal_sign is not None and sign != decimal_sign:
        raise AmountError("not the reader's decimal sign")
    value = Decimal(re.sub(r"\D", "", whole) + ("." + fraction if sign else ""))
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError("too many decimals")
    return int(scaled)


def decimal_sign() -> str:
    """The decimal sign of the language the page is in."""
    return str(formats.get_format("DECIMAL_SEPARATOR"))


def from_minor(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-exponent(currency))


def check(amount_minor: int, currency: str) -> tuple[int, int]:
    """Raises AmountError unless the amount is within the currency's limits; returns the limits."""
    table = limits()
    if currency not in table:
        raise AmountError("currency")
    low, high = table[currency]
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise AmountError("not a whole number of minor units")
    if amount_minor < low:
        raise AmountError("too small")
    if amount_minor > high:
        raise AmountError("too large")
    return low, high
