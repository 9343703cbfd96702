"""Money rules (API.md §2): ISO 4217 currencies, their minor-unit exponent, minimum and maximum amounts.

Amounts are integers in the currency's minor unit: 2500 USD = $25.00, 2500 JPY = ¥2500 (no minor unit),
2500 KWD = 2.500 KD (three decimals). A currency is accepted in any case and returned upper-case.

Minimums follow Stripe's table of minimum charge amounts (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts);
a currency not in that table needs at least 50 minor units (0 decimals: 50 units; 3 decimals: 0.500).
The maximum is 99,999,999 minor units for every currency (Stripe's eight-digit limit). Three-decimal
currencies must be charged in multiples of 10 (the last digit is zero), as Stripe requires.
"""

from __future__ import annotations

from paykeep.domain.errors import ParameterInvalid

MAX_AMOUNT = 99_999_999
DEFAULT_MIN_AMOUNT = 50

# Exponent 0: no minor unit.
ZERO_DECIMAL = frozenset([
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
    "XOF", "XPF"
])
# Exponent 3.
THREE_DECIMAL = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
# Exponent 2 (the rest of ISO 4217's active codes, excluding funds codes and precious metals).
TWO_DECIMAL = frozenset([
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP",
    "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
    "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR", "ZMW", "ZWL"
])

CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(TWO_DECIMAL, 2),
    **dict.fromkeys(ZERO_DECIMAL, 0),
    **dict.fromkeys(THREE_DECIMAL, 3),
}

# Stripe's published minimum charge amounts, in minor units.
MIN_AMOUNTS: dict[str, int] = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50, "CZK": 1500,
    "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50, "JPY": 50, "MXN": 1000,
    "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "RON": 200, "SEK": 300, "SGD": 50, "THB": 1000,
}


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS[currency]


def min_amount(currency: str) -> int:
    if currency in MIN_AMOUNTS:
        return MIN_AMOUNTS[currency]
    return 500 if exponent(currency) == 3 else DEFAULT_MIN_AMOUNT


def normalise_currency(raw: object, *, param: str = "currency") -> str:
    """An ISO 4217 code in any case -> upper-case; anything else -> 400 naming the parameter."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code not in CURRENCY_EXPONENTS:
        shown = raw if isinstance(raw, str) else type(raw).__name__
        raise ParameterInvalid(
            param,
            f"Invalid currency: {str(shown)[:20]}. It must be a supported ISO 4217 currency code, e.g. USD.",
            code="parameter_invalid",
        )
    return code


def format_amount(amount: int, currency: str) -> str:
    """`2500, USD` -> `25.00 USD`; `2500, JPY` -> `2500 JPY`."""
    exp = exponent(currency)
    if exp == 0:
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d} {currency}"


def check_charge_amount(amount: int, currency: str, *, param: str = "amount") -> int:
    """An amount that may be charged in this currency: minimum, maximum, three-decimal rounding."""
    _check_integer(amount, param)
    low = min_amount(currency)
    if amount < low:
        raise ParameterInvalid(
            param,
            f"Amount must be at least {format_amount(low, currency)} "
            f"({low} in the currency's smallest unit).",
            code="amount_too_small",
        )
    check_amount_cap(amount, currency, param=param)
    return amount


def check_amount_cap(amount: int, currency: str, *, param: str = "amount") -> int:
    """A positive amount within the maximum (for captures and refunds, where the minimum does not apply)."""
    _check_integer(amount, param)
    if amount < 1:
        raise ParameterInvalid(param, f"Invalid {param}: must be a positive integer.",
                               code="parameter_invalid_integer")
    if amount > MAX_AMOUNT:
        raise ParameterInvalid(
            param, f"Amount must be no more than {format_amount(MAX_AMOUNT, currency)}.",
            code="amount_too_large",
        )
    if exponent(currency) == 3 and amount % 10 != 0:
        raise ParameterInvalid(
            param,
            f"Amounts in {currency} (three decimals) must be multiples of 10 (the last digit must be zero).",
            code="parameter_invalid",
        )
    return amount


def _check_integer(amount: object, param: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ParameterInvalid(param, f"Invalid {param}: must be an integer.",
                               code="parameter_invalid_integer")
