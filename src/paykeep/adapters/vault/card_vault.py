"""The card vault: card numbers as AES-256-GCM ciphertext under the keyring's rotating `data` key, and the
card fingerprint (a keyed HMAC under the fixed `fingerprint` key). The only place a stored number opens."""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import func, select

from paykeep.adapters.db.tables.foundation import secret_keys
from paykeep.adapters.vault.keyring import Keyring, MasterKeyError
from paykeep.domain.cards import CardNumber

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
FINGERPRINT_LENGTH = 16


class CardVault:
    """store() seals under the newest data-key version; reveal() opens any version still in the keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._unreadable: int | None = None  # a version wrapped by a master key this process does not hold

    def store(self, number: CardNumber, aad: bytes, uow: Any = None) -> tuple[bytes, int, str]:
        """(ciphertext, data-key version, fingerprint); `aad` binds the ciphertext to its owner (pm id).
        Given the caller's unit of work, a data-key version added since the keys were loaded is used."""
        self._refresh(uow)
        ciphertext = self._keyring.seal(number.reveal().encode("ascii"), aad, "data")
        return ciphertext, self._keyring.version_of(ciphertext), self.fingerprint(number)

    def reveal(self, ciphertext: bytes, aad: bytes) -> CardNumber:
        """The stored number, still masked: only the card network adapter reads its digits."""
        return CardNumber(self._keyring.open(ciphertext, aad, "data").decode("ascii"))

    def fingerprint(self, number: CardNumber) -> str:
        """Equal for equal numbers (across customers), useless without the vault's key."""
        digest = int(self._keyring.keyed_hash("fingerprint", number.reveal().encode("ascii")), 16)
        chars = []
        for _ in range(FINGERPRINT_LENGTH):
            digest, index = divmod(digest, len(_BASE62))
            chars.append(_BASE62[index])
        return "".join(chars)

    def _refresh(self, uow: Any) -> None:
        """Pick up a data-key version that `paykeep keys rotate` added while this process runs (no restart).

        The newest version is read in the caller's transaction (no second connection); the keyring reloads
        only when it is behind. After `keys rotate --master` the keys in the database are wrapped by a master
        key this process has not read: it keeps the keys it holds (they are unchanged) until it restarts.
        """
        conn = getattr(uow, "conn", None)
        if conn is None:
            return
        latest = conn.execute(
            select(func.max(secret_keys.c.version)).where(secret_keys.c.purpose == "data")).scalar()
        if latest is None or latest <= self._keyring.current_version("data") or latest == self._unreadable:
            return
        try:
            self._keyring.load()
        except MasterKeyError:
            self._unreadable = latest
