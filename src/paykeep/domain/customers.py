"""Customer: the aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paykeep.domain.entity import Entity


@dataclass(frozen=True, slots=True)
class Customer(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    metadata: dict[str, str] = field(default_factory=dict)
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    address: dict[str, Any] | None = None
    shipping: dict[str, Any] | None = None
    invoice_settings: dict[str, Any] | None = None
    deleted: bool = False
    test_clock: str | None = None  # the test clock it lives on (set at creation only)
