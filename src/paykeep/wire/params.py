"""Base classes for request parameters: unknown fields are refused; numbers may arrive as strings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

Metadata = dict[str, Any] | str  # "" clears all keys
Limit = Annotated[int, Field(ge=1, le=100)]
Unset = Literal[""]  # `address=""` unsets an object-valued field; any other string is refused
_INT64 = (-(2**63), 2**63 - 1)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

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


def created_filters(created: CreatedFilter | int | None) -> dict[str, int]:
    if created is None:
        return {}
    if isinstance(created, int):
        return {"created": created}
    return {f"created__{op}": v for op, v in created.model_dump().items() if v is not None}
