"""paykeep.web.api.forms: Stripe's bracket notation, JSON bodies, and what no parameter may hold."""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paykeep.domain.errors import ParameterInvalid
from paykeep.web.api.forms import MAX_DEPTH, decode_body, decode_pairs, decode_query

FORM = "application/x-www-form-urlencoded"


def test_flat_and_nested_keys() -> None:
    pairs = [
        ("email", "a@b.c"),
        ("address[city]", "Paris"),
        ("shipping[address][line1]", "1 rue"),
        ("metadata[k]", "v"),
    ]
    assert decode_pairs(pairs) == {
        "email": "a@b.c",
        "address": {"city": "Paris"},
        "shipping": {"address": {"line1": "1 rue"}},
        "metadata": {"k": "v"},
    }


def test_empty_brackets_append_to_a_list() -> None:
    assert decode_pairs([("expand[]", "a"), ("expand[]", "b"), ("expand[]", "c")]) == {
        "expand": ["a", "b", "c"]
    }


def test_indexed_brackets_make_a_list_in_index_order() -> None:
    assert decode_pairs([("expand[1]", "b"), ("expand[0]", "a")]) == {"expand": ["a", "b"]}
    assert decode_pairs([("items[0][price]", "p1"), ("items[1][price]", "p2"), ("items[0][qty]", "2")]) == {
        "items": [{"price": "p1", "qty": "2"}, {"price": "p2"}]
    }


def test_index_gaps_collapse_in_order() -> None:
    assert decode_pairs([("a[5]", "x"), ("a[2]", "y")]) == {"a": ["y", "x"]}


def test_the_top_level_is_always_an_object() -> None:
    assert decode_pairs([("0", "x")]) == {"0": "x"}
    assert decode_body(FORM, b"0=a&1=b") == {"0": "a", "1": "b"}
    assert decode_query("0=a") == {"0": "a"}


def test_empty_value_is_kept_as_empty_string() -> None:
    assert decode_pairs([("metadata", "")]) == {"metadata": ""}
    assert decode_pairs([("metadata[k]", "")]) == {"metadata": {"k": ""}}


def test_a_repeated_plain_key_keeps_the_last_value() -> None:
    assert decode_pairs([("name", "a"), ("name", "b")]) == {"name": "b"}


def test_mixed_digit_and_name_keys_stay_an_object() -> None:
    assert decode_pairs([("metadata[0]", "a"), ("metadata[x]", "b")]) == {"metadata": {"0": "a", "x": "b"}}


@pytest.mark.parametrize("key", ["a]", "[a]", "a[b", "a[b]c", "a[[b]]", "a[b]]", "", "a[b][", "]"])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(ParameterInvalid):
        decode_pairs([(key, "v")])


@pytest.mark.parametrize(
    "pairs",
    [
        [("address", "x"), ("address[city]", "y")],
        [("address[city]", "y"), ("address", "x")],
        [("a[b]", "x"), ("a[b][c]", "y")],
    ],
)
def test_a_name_used_as_value_and_as_object_is_refused(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(ParameterInvalid):
        decode_pairs(pairs)


def test_nesting_depth_is_bounded() -> None:
    ok = "a" + "[b]" * (MAX_DEPTH - 1)
    assert decode_pairs([(ok, "v")])
    with pytest.raises(ParameterInvalid):
        decode_pairs([("a" + "[b]" * MAX_DEPTH, "v")])


def test_query_strings_decode_like_form_bodies() -> None:
    query = "limit=3&expand[]=data.customer&created[gte]=10&email=a%2Bb%40c.d"
    assert decode_query(query) == {
        "limit": "3",
        "expand": ["data.customer"],
        "created": {"gte": "10"},
        "email": "a+b@c.d",
    }
    assert decode_query(query) == decode_body(FORM, query.encode())


def test_json_and_form_bodies_decode_to_the_same_parameters() -> None:
    params = {
        "email": "a@b.c",
        "address": {"city": "Paris", "line1": "1 rue"},
        "expand": ["x", "y"],
        "metadata": {"k": "v", "n": "1"},
    }
    form = ("email=a%40b.c&address[city]=Paris&address[line1]=1+rue&expand[]=x&expand[]=y"
            "&metadata[k]=v&metadata[n]=1")
    assert decode_body("application/json", json.dumps(params).encode()) == params
    assert decode_body(FORM, form.encode()) == params
    assert decode_body(FORM + "; charset=utf-8", form.encode()) == params
    assert decode_body("application/json; charset=UTF-8", json.dumps(params).encode()) == params


def test_empty_bodies_are_no_parameters() -> None:
    assert decode_body("application/json", b"") == {}
    assert decode_body(FORM, b"  ") == {}
    assert decode_body("", b"") == {}
    assert decode_body("text/plain", b"") == {}


def test_a_body_without_content_type_is_sniffed() -> None:
    assert decode_body("", b'{"a": "b"}') == {"a": "b"}
    assert decode_body("", b"a=b") == {"a": "b"}


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b'{"a": '),
        ("application/json", b"[1, 2]"),
        ("application/json", b'"text"'),
        ("application/json", b"\xff\xfe"),
        ("application/json", b"[" * 100_000),
        ("application/json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("application/json", b'{"a": NaN}'),
        ("application/json", b'{"a": {"b": Infinity}}'),
        ("application/json", b'{"a": "\\u0000"}'),
        ("application/json", b'{"a\\u0000": "b"}'),
        ("application/json", b'{"a": ["\\ud800"]}'),
        (FORM, b"a=\xff"),
        (FORM, b"a=%00"),
        (FORM, b"a[%00]=1"),
        ("text/plain", b"a=b"),
        ("multipart/form-data; boundary=x", b"--x--"),
        ("application/xml", b"<a/>"),
    ],
)
def test_bodies_that_cannot_be_parameters_are_refused(content_type: str, body: bytes) -> None:
    with pytest.raises(ParameterInvalid):
        decode_body(content_type, body)


def test_json_nesting_depth_is_bounded() -> None:
    def nested(depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {"leaf": "v"}
        for _ in range(depth):
            node = {"n": node}
        return node

    assert decode_body("application/json", json.dumps(nested(MAX_DEPTH - 1)).encode())
    with pytest.raises(ParameterInvalid):
        decode_body("application/json", json.dumps(nested(MAX_DEPTH + 1)).encode())


def test_refusals_name_the_parameter() -> None:
    with pytest.raises(ParameterInvalid) as info:
        decode_body("application/json", b'{"metadata": {"k": "a\\u0000"}}')
    assert info.value.param == "metadata[k]"
    assert "\x00" not in info.value.message


# -- properties ----------------------------------------------------------------------------------------------
# Names as a client would use them: no brackets, not empty, not all digits (digit-only keys become lists).
names = st.text(alphabet=string.ascii_letters + string.digits + "_-.:@ é", min_size=1, max_size=12).filter(
    lambda s: not s.isdigit()
)
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
trees = st.recursive(
    values,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4), st.dictionaries(names, children, min_size=1, max_size=4)
    ),
    max_leaves=20,
)
params_strategy = st.dictionaries(names, trees, max_size=6)


def to_pairs(params: dict[str, Any], indexed: bool) -> list[tuple[str, str]]:
    """Encode as Stripe's clients do: `a[b]=v`; lists as `a[]=v` (or `a[0]=v` when `indexed`)."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}[{key}]", value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                # `a[]` can only append scalars unambiguously; objects inside lists need their index
                walk(f"{prefix}[{i}]" if indexed or not isinstance(value, str) else f"{prefix}[]", value)
        else:
            pairs.append((prefix, node))

    for key, value in params.items():
        walk(key, value)
    return pairs


def depth(node: Any) -> int:
    if isinstance(node, dict):
        return 1 + max((depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((depth(v) for v in node), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(params_strategy, st.booleans())
def test_property_bracket_encoding_round_trips(params: dict[str, Any], indexed: bool) -> None:
    if any(depth(v) >= MAX_DEPTH for v in params.values()):
        return
    assert decode_pairs(to_pairs(params, indexed)) == params


@settings(max_examples=300, deadline=None)
@given(params_strategy)
def test_property_form_and_json_bodies_agree(params: dict[str, Any]) -> None:
    if any(depth(v) >= MAX_DEPTH for v in params.values()):
        return
    form_body = urlencode(to_pairs(params, indexed=True)).encode()
    assert (
        decode_body(FORM, form_body) == decode_body("application/json", json.dumps(params).encode()) == params
    )


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=8))
def test_property_arbitrary_pairs_decode_or_are_refused_cleanly(pairs: list[tuple[str, str]]) -> None:
    try:
        decoded = decode_pairs(pairs)
    except ParameterInvalid as err:
        assert err.code == "parameter_invalid" and err.param is not None
        return
    assert isinstance(decoded, dict)
    json.dumps(decoded, ensure_ascii=False).encode("utf-8")  # anything accepted can be stored and sent back


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["application/json", FORM, "", "text/plain"]))
def test_property_arbitrary_bodies_decode_or_are_refused_cleanly(body: bytes, content_type: str) -> None:
    try:
        decoded = decode_body(content_type, body)
    except ParameterInvalid:
        return
    assert isinstance(decoded, dict)
    json.dumps(decoded, ensure_ascii=False, allow_nan=False).encode("utf-8")
