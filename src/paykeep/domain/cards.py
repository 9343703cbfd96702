"""Card rules: a masked card-number type, Luhn, brand from IIN ranges, lengths, expiry and CVC checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from paykeep.domain.errors import CardError

BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "unknown")
_LENGTHS = {
    "visa": (13, 16, 19),
    "mastercard": (16,),
    "amex": (15,),
    "discover": (16, 17, 18, 19),
    "jcb": (16, 17, 18, 19),
    "diners": (14, 15, 16, 17, 18, 19),
    "unionpay": (16, 17, 18, 19),
    "unknown": tuple(range(12, 20)),
}


class CardNumber:
    """A card number that prints as `•••• 4242`, refuses to be pickled, and opens only through reveal().

    Only the vault and the card network adapter may call reveal()
    (checked by tests/unit/test_reveal_callers.py).
    """

    __slots__ = ("_digits",)
    _digits: str

    def __init__(self, digits: str) -> None:
        object.__setattr__(self, "_digits", digits)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("CardNumber is immutable")

    def reveal(self) -> str:
        return self._digits

    @property
    def last4(self) -> str:
        return self._digits[-4:]

    @property
    def brand(self) -> str:
        return brand_of(self._digits)

    def __repr__(self) -> str:
        return f"CardNumber('•••• {self.last4}')"

    def __str__(self) -> str:
        return f"•••• {self.last4}"

    def __format__(self, spec: str) -> str:
        return str(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("card numbers cannot be serialised")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CardNumber) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(("CardNumber", self._digits))


class Cvc:
    """A CVC: masked like CardNumber, never stored; lives only in memory during a confirm."""

    __slots__ = ("_digits",)
    _digits: str

    def __init__(self, digits: str) -> None:
        object.__setattr__(self, "_digits", digits)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Cvc is immutable")

    def reveal(self) -> str:
        return self._digits

    def __repr__(self) -> str:
        return "Cvc('•••')"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("CVCs cannot be serialised")


@dataclass(frozen=True)
class CardDetails:
    """A checked card as it arrives in a request."""

    number: CardNumber
    exp_month: int
    exp_year: int
    cvc: Cvc | None
    name: str | None = None

    @property
    def brand(self) -> str:
        return self.number.brand


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(digits: str) -> str:
    """Brand from the IIN (issuer identification number) ranges."""
    def starts(lo: int, hi: int, width: int) -> bool:
        return len(digits) >= width and lo <= int(digits[:width]) <= hi

    if digits.startswith("4"):
        return "visa"
    if starts(51, 55, 2) or starts(2221, 2720, 4):
        return "mastercard"
    if digits[:2] in ("34", "37"):
        return "amex"
    if starts(300, 305, 3) or digits[:2] in ("36", "38", "39") or digits.startswith("3095"):
        return "diners"
    if starts(3528, 3589, 4):
        return "jcb"
    if digits.startswith("6011") or starts(644, 649, 3) or digits.startswith("65"):
        return "discover"
    if digits.startswith("62") or digits.startswith("81"):
        return "unionpay"
    return "unknown"


def _card_error(code: str, param: str, message: str) -> CardError:
    return CardError(message, code=code, param=param)


def _as_int(value: Any, code: str, param: str, message: str) -> int:
    if isinstance(value, bool):
        raise _card_error(code, param, message)
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        raise _card_error(code, param, message)
    return int(text)


def check_number(raw: Any) -> CardNumber:
    text = "" if raw is None else str(raw)
    digits = text.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not luhn_valid(digits) or len(digits) not in _LENGTHS[brand_of(digits)]:
        raise _card_error("incorrect_number", "number", "Your card number is incorrect.")
    return CardNumber(digits)


def check_expiry(raw_month: Any, raw_year: Any, *, year_now: int, month_now: int) -> tuple[int, int]:
    month = _as_int(
        raw_month, "invalid_expiry_month", "exp_month", "Your card's expiration month is invalid."
    )
    if not 1 <= month <= 12:
        raise _card_error("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.")
    year = _as_int(raw_year, "invalid_expiry_year", "exp_year", "Your card's expiration year is invalid.")
    if year < 100:
        year += 2000
    if year < year_now or year > year_now + 50:
        raise _card_error("invalid_expiry_year", "exp_year", "Your card's expiration year is invalid.")
    if year == year_now and month < month_now:
        raise _card_error("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.")
    return month, year


def check_cvc(raw: Any, brand: str) -> Cvc | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    expected = 4 if brand == "amex" else 3
    if not text.isdigit() or len(text) != expected:
        raise _card_error("invalid_cvc", "cvc", "Your card's security code is invalid.")
    return Cvc(text)


def check_card(number: Any, exp_month: Any, exp_year: Any, cvc: Any, name: str | None, *,
               year_now: int, month_now: int) -> CardDetails:
    """Form checks when card data arrives (402 card_error naming the field). Declines come later."""
    card_number = check_number(number)
    month, year = check_expiry(exp_month, exp_year, year_now=year_now, month_now=month_now)
    return CardDetails(card_number, month, year, check_cvc(cvc, card_number.brand), name or None)
