"""Dashboard password hashes (adapters/vault/passwords.py): scrypt, per-user salt, self-describing format."""

from __future__ import annotations

import pytest

from paykeep.adapters.vault.passwords import KEY_BYTES, LOG2_N, ScryptHasher

# A cheaper cost keeps this module fast; the production default is checked separately.
hasher = ScryptHasher(log2_n=10)


def test_the_default_cost_is_memory_hard() -> None:
    default = ScryptHasher()
    assert default.log2_n == LOG2_N >= 14 and default.r >= 8 and default.p >= 1
    assert 128 * default.r * (1 << default.log2_n) >= 16 * 1024 * 1024  # at least 16 MiB per hash
    encoded = default.hash("correct horse battery staple")
    assert encoded.startswith(f"scrypt${LOG2_N}$8$1$")
    assert default.verify("correct horse battery staple", encoded)


def test_a_hash_verifies_only_its_own_password() -> None:
    encoded = hasher.hash("s3cret-password!")
    assert hasher.verify("s3cret-password!", encoded)
    assert not hasher.verify("s3cret-password?", encoded)
    assert not hasher.verify("", encoded)
    assert "s3cret" not in encoded


def test_every_hash_has_its_own_salt() -> None:
    first, second = hasher.hash("same password"), hasher.hash("same password")
    assert first != second
    assert first.split("$")[4] != second.split("$")[4]
    assert hasher.verify("same password", first) and hasher.verify("same password", second)


def test_unicode_passwords() -> None:
    encoded = hasher.hash("пароль-密码-🔑")
    assert hasher.verify("пароль-密码-🔑", encoded)
    assert not hasher.verify("пароль-密码", encoded)


@pytest.mark.parametrize("stored", [None, "", "bcrypt$2b$xyz", "scrypt$10$8$1$!!!$!!!",
                                    "scrypt$40$8$1$AAAA$AAAA", "scrypt$10$8$1$c2FsdA$c2hvcnQ"])
def test_missing_or_malformed_hashes_never_verify(stored: str | None) -> None:
    assert hasher.verify("anything", stored) is False


def test_a_hash_made_with_other_parameters_still_verifies_and_asks_for_a_rehash() -> None:
    old = ScryptHasher(log2_n=11).hash("rotate me please")
    assert hasher.verify("rotate me please", old)
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(hasher.hash("rotate me please"))


def test_the_derived_key_is_full_length() -> None:
    import base64

    key = hasher.hash("length check").split("$")[5]
    assert len(base64.b64decode(key + "=" * (-len(key) % 4))) == KEY_BYTES
