"""Metadata rules (API.md §2): <= 50 keys, key <= 40 chars without brackets, value <= 500 chars."""

from __future__ import annotations

from typing import Any

from paykeep.domain.errors import ParameterInvalid

MAX_KEYS = 50
MAX_KEY_LEN = 40
MAX_VALUE_LEN = 500


def _check_value(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParameterInvalid(f"metadata[{key}]", "Metadata values must be strings.")
    text = str(value)
    if len(text) > MAX_VALUE_LEN:
        raise ParameterInvalid(
            f"metadata[{key}]", f"Metadata values can have up to {MAX_VALUE_LEN} characters."
        )
    return text


def merge_metadata(current: dict[str, str] | None, update: Any) -> dict[str, str]:
    """Apply an update: `""` clears all, an empty value removes a key, others set it."""
    if update == "" or update is None:
        return {}
    if not isinstance(update, dict):
        raise ParameterInvalid("metadata", "Invalid metadata: must be an object of string keys and values.")
    merged = dict(current or {})
    for key, value in update.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LEN or "[" in key or "]" in key:
            raise ParameterInvalid(
                "metadata",
                f"Metadata keys must be 1 to {MAX_KEY_LEN} characters and may not contain '[' or ']'.",
            )
        if value == "" or value is None:
            merged.pop(key, None)
        else:
            merged[key] = _check_value(key, value)
    if len(merged) > MAX_KEYS:
        raise ParameterInvalid("metadata", f"Metadata can have up to {MAX_KEYS} keys.")
    return merged
