"""Test support: real paykeep server processes, databases, receivers."""
