"""Only the vault and the card network adapter may read a card number's digits (CardNumber/Cvc.reveal())."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "paykeep"
ALLOWED = ("adapters/vault/", "adapters/acquirer/", "domain/cards.py")
# CardNumber.reveal() and Cvc.reveal() take no arguments (the vault's reveal(ciphertext, aad) returns a masked
# CardNumber, so calling it is fine anywhere); `_digits` is the masked types' private field.
REVEAL = re.compile(r"\.reveal\(\s*\)|\bgetattr\([^)]*['\"]reveal['\"]|\._digits\b")


def test_only_the_vault_and_the_acquirer_reveal_card_data() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if REVEAL.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_check_sees_a_reveal() -> None:
    assert REVEAL.search("digits = number.reveal()")
    assert REVEAL.search("cvc.reveal( )")
    assert REVEAL.search('getattr(number, "reveal")')
    assert not REVEAL.search("number = ctx.deps.vault.reveal(ciphertext, aad)")
