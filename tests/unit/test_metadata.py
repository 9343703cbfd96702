"""paykeep.domain.metadata: <= 50 keys, key <= 40 chars without brackets, value <= 500 chars; "" removes."""

from __future__ import annotations

from typing import Any

import pytest

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.metadata import MAX_KEY_LEN, MAX_KEYS, MAX_VALUE_LEN, merge_metadata


def test_sets_keys() -> None:
    assert merge_metadata(None, {"a": "1"}) == {"a": "1"}
    assert merge_metadata({"a": "1"}, {"b": "2"}) == {"a": "1", "b": "2"}


def test_overwrites_a_key() -> None:
    assert merge_metadata({"a": "1"}, {"a": "2"}) == {"a": "2"}


def test_empty_value_removes_a_key() -> None:
    assert merge_metadata({"a": "1", "b": "2"}, {"a": ""}) == {"b": "2"}
    assert merge_metadata({"a": "1"}, {"missing": ""}) == {"a": "1"}
    assert merge_metadata({"a": "1"}, {"a": None}) == {}


def test_empty_string_or_none_clears_all() -> None:
    assert merge_metadata({"a": "1", "b": "2"}, "") == {}
    assert merge_metadata({"a": "1"}, None) == {}


def test_the_current_dict_is_not_mutated() -> None:
    current = {"a": "1"}
    merge_metadata(current, {"a": "", "b": "2"})
    assert current == {"a": "1"}


def test_numbers_become_strings() -> None:
    assert merge_metadata(None, {"n": 5, "f": 1.5}) == {"n": "5", "f": "1.5"}


def test_limits_at_the_edge() -> None:
    full = {f"k{i}": "v" for i in range(MAX_KEYS)}
    assert merge_metadata(None, full) == full
    assert merge_metadata(None, {"k" * MAX_KEY_LEN: "x" * MAX_VALUE_LEN}) == {
        "k" * MAX_KEY_LEN: "x" * MAX_VALUE_LEN
    }


def test_removing_makes_room_for_new_keys() -> None:
    full = {f"k{i}": "v" for i in range(MAX_KEYS)}
    assert len(merge_metadata(full, {"k0": "", "new": "v"})) == MAX_KEYS


@pytest.mark.parametrize(
    "current, update, param",
    [
        (None, {f"k{i}": "v" for i in range(MAX_KEYS + 1)}, "metadata"),
        ({f"k{i}": "v" for i in range(MAX_KEYS)}, {"one-more": "v"}, "metadata"),
        (None, {"k" * (MAX_KEY_LEN + 1): "v"}, "metadata"),
        (None, {"": "v"}, "metadata"),
        (None, {"a[b": "v"}, "metadata"),
        (None, {"a]": "v"}, "metadata"),
        (None, {"k": "x" * (MAX_VALUE_LEN + 1)}, "metadata[k]"),
        (None, {"k": True}, "metadata[k]"),
        (None, {"k": ["v"]}, "metadata[k]"),
        (None, {"k": {"v": "w"}}, "metadata[k]"),
        (None, ["k"], "metadata"),
        (None, "not empty", "metadata"),
        (None, 5, "metadata"),
    ],
)
def test_rules(current: dict[str, str] | None, update: Any, param: str) -> None:
    with pytest.raises(ParameterInvalid) as info:
        merge_metadata(current, update)
    assert info.value.param == param
    assert info.value.code == "parameter_invalid"
