"""PaymentMethod: a card as stored. The number exists only as the vault's ciphertext (bound to the id);
brand, last4, expiry, fingerprint and checks are what may be shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paykeep.domain.entity import Entity


@dataclass(frozen=True, slots=True)
class PaymentMethod(Entity):
    id: str
    account_id: str
    livemode: bool
    created: int  # Unix ms
    card_brand: str
    card_last4: str
    card_exp_month: int
    card_exp_year: int
    card_fingerprint: str
    card_ciphertext: bytes  # AES-256-GCM under the vault's data key `card_key_version`: never the number
    card_key_version: int
    metadata: dict[str, str] = field(default_factory=dict)
    type: str = "card"
    customer: str | None = None
    billing_details: dict[str, Any] = field(default_factory=dict)
    card_funding: str = "credit"
    card_country: str | None = None
    card_cvc_check: str | None = None
    detached: bool = False
    mandate: bool = False  # saved for off-session use by a successful setup

    def __repr__(self) -> str:  # the ciphertext stays out of logs and tracebacks
        return (f"PaymentMethod(id={self.id!r}, card_brand={self.card_brand!r}, "
                f"card_last4={self.card_last4!r})")
