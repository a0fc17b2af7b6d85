import pytest

from samen.giving import money


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12,50", "EUR", 1250),
        ("25", "EUR", 2500),
        ("5000", "UGX", 5000),
        ("1 000", "KES", 100000),
    ],
)
def test_it_turns_typed_amounts_into_minor_units(text, currency, minor):
    assert money.to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"), [("12.505", "EUR"), ("10.5", "UGX"), ("abc", "EUR"), ("NaN", "EUR"), ("", "EUR")]
)
def test_it_refuses_amounts_that_are_not_whole_minor_units(text, currency):
    with pytest.raises(money.AmountError):
        money.to_minor(text, currency)


def test_limits_are_per_currency():
    assert money.check(100, "EUR") == (100, 1_000_000)
    with pytest.raises(money.AmountError):
        money.check(99, "EUR")
    with pytest.raises(money.AmountError):
        money.check(1_000_001, "EUR")
    with pytest.raises(money.AmountError):
        money.check(999, "UGX")
    with pytest.raises(money.AmountError, match="currency"):
        money.check(1000, "XYZ")


def test_settings_can_change_the_limits(settings):
    settings.SAMEN_GIVING_LIMITS = {"EUR": (500, 2000)}
    with pytest.raises(money.AmountError):
        money.check(400, "EUR")
    assert money.check(500, "EUR")
