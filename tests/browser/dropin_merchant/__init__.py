"""The merchant side of the paykeep.js browser tests (tests/browser/test_dropin*.py)."""
