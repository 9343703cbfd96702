"""The simulated card network's table is documented in docs/test-cards.md, generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paykeep.adapters.acquirer import simulated

DOC = Path(__file__).resolve().parents[2] / "docs" / "test-cards.md"


def test_docs_test_cards_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == simulated.render_test_cards_markdown(), (
        "docs/test-cards.md is stale: run `python -m paykeep.adapters.acquirer.simulated --markdown "
        "> docs/test-cards.md`")


def test_every_test_card_is_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{number}`" in text for number in simulated.TEST_CARDS)


def test_the_module_prints_the_doc() -> None:
    out = subprocess.run([sys.executable, "-m", "paykeep.adapters.acquirer.simulated", "--markdown"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out == DOC.read_text(encoding="utf-8")


def test_every_stripe_test_name_stands_for_a_card_of_the_table() -> None:
    # pm_card_visa & co. (domain/test_payment_methods.py) repeat numbers of this table, nothing else: a number
    # missing here would silently behave as the frictionless default instead of what its name documents.
    from paykeep.domain.test_payment_methods import CARDS

    unknown = {name: card.number for name, card in CARDS.items() if card.number not in simulated.TEST_CARDS}
    assert unknown == {}
