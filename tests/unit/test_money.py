"""ISO 4217 exponents, currency normalisation, minimum and maximum amounts."""

from __future__ import annotations

import pytest

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.money import (
    MAX_AMOUNT,
    check_amount_cap,
    check_charge_amount,
    exponent,
    format_amount,
    min_amount,
    normalise_currency,
)


@pytest.mark.parametrize(("code", "exp"), [
    ("USD", 2), ("EUR", 2), ("GBP", 2), ("CNY", 2), ("IDR", 2),
    ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0),
    ("KWD", 3), ("BHD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3),
])
def test_exponents(code: str, exp: int) -> None:
    assert exponent(code) == exp


@pytest.mark.parametrize("raw", ["usd", "USD", "Usd", " usd "])
def test_currency_in_any_case_returned_upper(raw: str) -> None:
    assert normalise_currency(raw) == "USD"


@pytest.mark.parametrize("raw", ["", "US", "USDX", "XYZ", "123", None, 840, "dollars"])
def test_invalid_currency(raw: object) -> None:
    with pytest.raises(ParameterInvalid) as info:
        normalise_currency(raw)
    assert info.value.param == "currency"


def test_minimums() -> None:
    assert min_amount("USD") == 50
    assert min_amount("EUR") == 50
    assert min_amount("GBP") == 30
    assert min_amount("JPY") == 50
    assert min_amount("IDR") == 50  # not in Stripe's table: the default
    assert min_amount("KWD") == 500
    check_charge_amount(50, "USD")
    with pytest.raises(ParameterInvalid) as info:
        check_charge_amount(49, "USD")
    assert info.value.code == "amount_too_small"
    assert "0.50 USD" in info.value.message


def test_maximum() -> None:
    check_charge_amount(MAX_AMOUNT, "USD")
    with pytest.raises(ParameterInvalid) as info:
        check_charge_amount(MAX_AMOUNT + 1, "USD")
    assert info.value.code == "amount_too_large"


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "100"])
def test_amounts_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(ParameterInvalid):
        check_amount_cap(bad, "USD")  # type: ignore[arg-type]


def test_three_decimal_currencies_charge_multiples_of_ten() -> None:
    check_charge_amount(1230, "KWD")
    with pytest.raises(ParameterInvalid):
        check_charge_amount(1234, "KWD")


def test_format_amount() -> None:
    assert format_amount(2500, "USD") == "25.00 USD"
    assert format_amount(2500, "JPY") == "2500 JPY"
    assert format_amount(1500, "KWD") == "1.500 KWD"
    assert format_amount(5, "EUR") == "0.05 EUR"
