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


@pytest.mark.parametrize(
    "text",
    [
        "1E2",
        "1e2",
        "1_000",
        "١٢",
        "１２",
        "12.5.0",
        "1,000.50",
        "1.000,50",
        "+5",
        "-5",
        "Infinity",
        "0x10",
        "12 .50",
    ],
)
def test_only_plain_decimals_are_amounts(text):
    with pytest.raises(money.AmountError):
        money.to_minor(text, "EUR")


@pytest.mark.parametrize(
    ("text", "sign", "minor"),
    [
        ("1,50", ",", 150),
        ("1.50", ".", 150),
        ("1 000,50", ",", 100050),
        ("1\u00a0000", ",", 100000),
        ("7", ",", 700),
    ],
)
def test_the_readers_decimal_sign_is_the_one_taken(text, sign, minor):
    assert money.to_minor(text, "EUR", decimal_sign=sign) == minor


@pytest.mark.parametrize(("text", "sign"), [("1.50", ","), ("1,50", "."), ("1.500", ",")])
def test_the_other_sign_is_refused_not_guessed(text, sign):
    with pytest.raises(money.AmountError):
        money.to_minor(text, "EUR", decimal_sign=sign)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "amount", "accepted"),
    [
        ("nl", "1,50", True),
        ("nl", "1.50", False),
        ("en", "1.50", True),
        ("en", "1,50", False),
        ("en", "1E2", False),
        ("en", "1_000", False),
        ("en", "١٢", False),
        ("nl", "1.000,50", False),
    ],
)
def test_the_donate_form_reads_amounts_in_the_readers_language(language, amount, accepted):
    from django.utils import translation

    from samen.giving.forms import DonateForm

    from .conftest import donate_form

    with translation.override(language):
        form = DonateForm(donate_form(amount=amount))
        valid = form.is_valid()
        if accepted:
            assert valid, form.errors
            assert form.cleaned_data["amount_minor"] == 150
        else:
            assert not valid and list(form.errors) == ["amount"], form.errors
            sign = "," if language == "nl" else "."
            assert f"12{sign}50" in form.errors["amount"][0] and f"“{sign}”" in form.errors["amount"][0]
