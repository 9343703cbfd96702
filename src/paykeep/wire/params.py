"""Base classes for request parameters: unknown fields are refused; numbers may arrive as strings.

Scalar types are strict, here and only here (API.md §12): an integer is a JSON integer or a string of
digits (with a leading `-`; the field's own bounds decide whether a negative is allowed), a boolean is JSON
`true`/`false` or the string `"true"`/`"false"`. `true` for an integer, `1.5`, `100.0`, `"1e3"`, `" 4"`
or `"yes"` for a boolean is a 400 naming the parameter. Pydantic's lax mode would take all of those."""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

Metadata = dict[str, Any] | str  # "" clears all keys
Limit = Annotated[int, Field(ge=1, le=100)]
Unset = Literal[""]  # `address=""` unsets an object-valued field; any other string is refused
_INT64 = (-(2**63), 2**63 - 1)


_DIGITS = re.compile(r"-?[0-9]{1,19}")  # int64 has at most 19 digits; a longer string is out of range anyway
_BOOLEANS = {"true": True, "false": False}
_INT, _STR_OR_INT, _BOOL = "int", "str_or_int", "bool"
MAX_ARRAY_ENTRIES = 100  # every array parameter; the longest legitimate one (enabled_events) has 22 values
DEDUPLICATED = frozenset({"expand", "payment_method_types", "enabled_events"})  # as Stripe: order kept


def _scalar_kind(annotation: Any) -> tuple[str | None, frozenset[str]]:
    """What strictness a field's annotation needs: `int` (and `int | None`, `CreatedFilter | int`),
    `str | int` (card fields: any string, or an integer), `bool` (and any `Literal` member strings)."""
    members: list[Any] = []
    pending = [annotation]
    while pending:
        item = pending.pop()
        origin = typing.get_origin(item)
        if origin is Annotated:
            pending.append(typing.get_args(item)[0])
        elif origin is Union or origin is types.UnionType:
            pending.extend(typing.get_args(item))
        else:
            members.append(item)
    literals = frozenset(str(v) for m in members if typing.get_origin(m) is Literal
                         for v in typing.get_args(m))
    if bool in members:
        return _BOOL, literals
    if int in members:
        return (_STR_OR_INT if str in members else _INT), literals
    return None, literals


_KINDS: dict[type, dict[str, tuple[str | None, frozenset[str]]]] = {}


def _invalid_integer() -> PydanticCustomError:
    return PydanticCustomError("int_type", "Input should be an integer (a JSON integer or digit string)")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        kinds = _KINDS.get(cls)
        if kinds is None:  # per class, computed on first use
            kinds = _KINDS[cls] = {name: _scalar_kind(f.annotation) for name, f in cls.model_fields.items()}
        name = info.field_name or ""
        if isinstance(value, list):
            if len(value) > MAX_ARRAY_ENTRIES:
                raise PydanticCustomError(
                    "too_long", f"at most {MAX_ARRAY_ENTRIES} entries are accepted (got {len(value)})")
            if name in DEDUPLICATED and all(isinstance(v, str) for v in value):
                return list(dict.fromkeys(value))
            return value
        kind, literals = kinds.get(name, (None, frozenset()))
        if kind is None or value is None or isinstance(value, dict):
            return value
        if kind == _BOOL:
            if isinstance(value, bool) or (isinstance(value, str) and value in literals):
                return value
            if isinstance(value, str) and value in _BOOLEANS:
                return _BOOLEANS[value]
            raise PydanticCustomError("bool_type", "Input should be a boolean: true or false")
        if isinstance(value, bool | float):
            raise _invalid_integer()
        if isinstance(value, str) and kind == _INT:
            if _DIGITS.fullmatch(value) is None:
                if value.lstrip("-").isdigit() and value.isascii():
                    raise PydanticCustomError("int_parsing", "Input should be between -2^63 and 2^63-1")
                raise _invalid_integer()
            return int(value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _fits_in_int64(cls, value: Any) -> Any:
        """Every integer parameter fits a 64-bit column (a larger one is a 400, not a database error)."""
        if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
            raise PydanticCustomError("int_parsing", "Input should be an integer between -2^63 and 2^63-1")
        return value

    def given(self) -> set[str]:
        """Names of the fields present in the request (so `description=""` differs from absent)."""
        return set(self.model_fields_set)


class ExpandParams(Params):
    expand: list[str] = Field(default_factory=list, description="Fields to expand, e.g. `customer`.")


class CreatedFilter(Params):
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None


class ListParams(ExpandParams):
    limit: Limit = 10
    starting_after: str | None = None
    ending_before: str | None = None

    @field_validator("starting_after", "ending_before")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        return value or None


class Address(Params):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Shipping(Params):
    address: Address
    name: str
    phone: str | None = None


CHOSEN_ID = ("paykeep makes every id itself (time-ordered, so lists and cursors stay in creation order): "
             "leave `id` out and keep your own identifier in `metadata`")


def refuse_chosen_id(value: Any) -> Any:
    """A validator of a create's `id` parameter (Stripe lets a product's id be chosen; paykeep does not)."""
    if value is not None:
        raise PydanticCustomError("parameter_unsupported", CHOSEN_ID)
    return value


def created_filters(created: CreatedFilter | int | None) -> dict[str, int]:
    if created is None:
        return {}
    if isinstance(created, int):
        return {"created": created}
    return {f"created__{op}": v for op, v in created.model_dump().items() if v is not None}
