"""Adapters: the only home of SQL, cryptography and outbound HTTP."""
