"""Amounts: parsing what people type into minor units, and the limits per currency.

Minor units per currency come from the ledger's display table (impact.templatetags.money), so
"12.50" is 1250 euro cents but 12 Ugandan shillings cannot have decimals at all.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings

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


def to_minor(text: str, currency: str) -> int:
    """'12.50' EUR -> 1250. Refuses more decimals than the currency has, and anything not a number."""
    cleaned = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # "12,50" as Dutch and French write it
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError("not a number") from None
    if not value.is_finite():
        raise AmountError("not a number")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError("too many decimals")
    return int(scaled)


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
