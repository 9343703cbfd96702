"""Stripe's search query language (domain/search.py): the grammar, the field tables, stored units, pages;
fuzzed with hypothesis (any text parses or fails with the domain's 400, never anything else; generated
queries read back as written)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykeep.adapters.db.search import field_expression
from paykeep.adapters.db.tables import metadata as tables
from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.search import (
    FIELDS,
    MAX_CLAUSES,
    Clause,
    Condition,
    FieldKind,
    Query,
    QueryInvalid,
    Value,
    ValueKind,
    compile_query,
    page_after,
    page_token,
    parse,
    quote,
    to_text,
)


def _error(text: str, resource: str = "customers", **kwargs: int) -> QueryInvalid:
    with pytest.raises(QueryInvalid) as caught:
        compile_query(text, resource, **kwargs)
    err = caught.value
    assert err.param == "query" and err.type == "invalid_request_error" and err.code == "parameter_invalid"
    return err


# -- the grammar -----
def test_a_clause_is_a_field_an_operator_and_a_value() -> None:
    query = parse('email:"jenny@example.com"')
    assert query == Query((Clause("email", ":", Value(ValueKind.STRING, "jenny@example.com")),), "AND")


def test_spaces_and_and_join_with_and_or_joins_with_or() -> None:
    spaced = parse('email:"a" name:"b"')
    assert spaced.joiner == "AND" and [c.field for c in spaced.clauses] == ["email", "name"]
    assert parse('email:"a" AND name:"b"') == spaced == parse('email:"a"   and   name:"b"')
    either = parse('email:"a" OR name:"b" or phone:"c"')
    assert either.joiner == "OR" and len(either.clauses) == 3


def test_values_in_single_or_double_quotes_with_escapes() -> None:
    assert parse("name:'Jenny'").clauses[0].value == Value(ValueKind.STRING, "Jenny")
    assert parse(r'name:"say \"hi\""').clauses[0].value.text == 'say "hi"'
    assert parse(r"name:'it\'s'").clauses[0].value.text == "it's"
    assert parse(r'name:"back\\slash"').clauses[0].value.text == "back\\slash"
    assert parse('name:"O\'Brien"').clauses[0].value.text == "O'Brien"


def test_metadata_keys_in_either_quotes() -> None:
    for text in ('metadata["order_id"]:"6735"', "metadata['order_id']:'6735'"):
        [clause] = parse(text).clauses
        assert (clause.field, clause.key, clause.op, clause.value.text) == (
            "metadata",
            "order_id",
            ":",
            "6735",
        )
    assert parse('metadata["a key"]:"x"').clauses[0].key == "a key"


def test_negation_null_numbers_and_every_operator() -> None:
    [neg] = parse('-status:"canceled"').clauses
    assert neg.negated and neg.field == "status"
    assert parse("email:null").clauses[0].value.kind is ValueKind.NULL
    assert parse("email:NULL").clauses[0].value.kind is ValueKind.NULL
    for op in (":", "=", ">", "<", ">=", "<="):
        [clause] = parse(f"amount{op}1000").clauses
        assert clause.op == op and clause.value == Value(ValueKind.NUMBER, "1000")
    assert parse('name~"jen"').clauses[0].op == "~"


def test_positions_are_where_each_clause_and_value_starts() -> None:
    query = parse('email:"a"  -name:"bc"')
    assert [c.position for c in query.clauses] == [0, 11]
    assert query.clauses[1].value.position == 17


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("email:", 6, "expected a value after ':'"),
        ('email:"a" name:', 15, "expected a value after ':'"),
        ("", 0, "the query is empty"),
        ("   ", 3, "the query is empty"),
        ('email"a"', 5, "expected an operator"),
        ('email:"open', 6, "not closed"),
        ("email:'open", 6, "not closed"),
        ('email:"a"name:"b"', 9, "expected a space, AND or OR"),
        ('email:"a" AND', 13, "expected a clause after AND"),
        ('email:"a" OR ', 13, "expected a clause after OR"),
        ('email:"a" AND name:"b" OR phone:"c"', 23, "AND and OR cannot be combined"),
        ('email:"a" name:"b" OR phone:"c"', 19, "AND and OR cannot be combined"),
        ('(email:"a")', 0, "parentheses are not supported"),
        ('- email:"a"', 1, "expected a field name after '-'"),
        (':"a"', 0, "expected a field name"),
        ('metadata[key]:"a"', 9, "expected a quoted key"),
        ('metadata["key":"a"', 14, "expected ']'"),
        ('email: "a"', 6, "expected a value after ':'"),
    ],
)
def test_syntax_errors_name_the_position(text: str, position: int, words: str) -> None:
    err = _error(text)
    assert err.position == position, err.message
    assert err.message.startswith(f"Syntax error at position {position}: "), err.message
    assert words in err.message


def test_at_most_ten_clauses() -> None:
    ok = " ".join(['email:"a"'] * MAX_CLAUSES)
    assert len(parse(ok).clauses) == MAX_CLAUSES
    err = _error(ok + ' name:"b"')
    assert "at most 10 clauses" in err.message and err.position == len(ok) + 1


# -- the field tables -----
def test_an_unknown_field_is_named_with_the_resources_fields() -> None:
    err = _error('email:"a" colour:"blue"')
    assert err.message == (
        "Invalid query at position 10: colour is not a search field of customers. The fields "
        "are: created, email, metadata, name, phone."
    )
    assert "amount is not a search field of customers" in _error("amount>10").message
    assert "email is not a search field of charges" in _error('email:"x"', "charges").message


@pytest.mark.parametrize(
    ("text", "resource", "words"),
    [
        ('created~"123"', "customers", "created cannot be searched with '~'"),
        ('status~"succ"', "payment_intents", "status cannot be searched with '~'"),
        ('email>"a"', "customers", "email cannot be searched with '>'"),
        ('email="a"', "customers", "email cannot be searched with '='"),
        ('currency>"usd"', "payment_intents", "currency cannot be searched with '>'"),
        ('metadata:"x"', "customers", "metadata needs a key"),
        ('email["k"]:"x"', "customers", "only metadata takes a [key]"),
        ('name~"ab"', "customers", "at least 3 characters"),
        ("email:jenny", "customers", "string values must be in quotes"),
        ("status:succeeded", "payment_intents", "string values must be in quotes"),
        ('amount>"ten"', "payment_intents", "amount takes an integer"),
        ("amount>10.5", "payment_intents", "amount takes an integer"),
        ("refunded:yes", "charges", "refunded is true or false"),
        ("amount>null", "payment_intents", "null can only be matched with ':'"),
        ("amount>99999999999999999999", "payment_intents", "out of range"),
        ("created>9223372036854775", "customers", "out of range"),
    ],
)
def test_clauses_a_field_cannot_take(text: str, resource: str, words: str) -> None:
    err = _error(text, resource, time_unit_ms=1000)
    assert err.message.startswith("Invalid query at position "), err.message
    assert words in err.message


def test_conditions_in_stored_units() -> None:
    [email, name, meta] = compile_query(
        'email:"Jenny@Example.com" name~"ros" metadata["k"]:"V"', "customers"
    ).conditions
    assert email == Condition("email", FieldKind.STRING, "equals", "Jenny@Example.com")
    assert name == Condition("name", FieldKind.STRING, "contains", "ros")
    assert meta == Condition("metadata", FieldKind.METADATA, "equals", "V", key="k")
    [currency, status, amount] = compile_query(
        'currency:"usd" -status:"canceled" amount>=1000', "payment_intents"
    ).conditions
    assert currency.value == "USD" and status.negated and status.value == "canceled"
    assert amount.value == (1000, None)
    [gone] = compile_query('metadata["k"]:null', "charges").conditions
    assert gone.match == "null" and gone.key == "k"
    [refunded, disputed, last4] = compile_query(
        'refunded:true disputed:"false" payment_method_details.card.last4:4242', "charges"
    ).conditions
    assert refunded.value is True and disputed.value is False and last4.value == "4242"


@pytest.mark.parametrize(
    ("op", "number", "ranges"),
    [
        (":", 10, (10, 10)),
        ("=", 10, (10, 10)),
        (">", 10, (11, None)),
        (">=", 10, (10, None)),
        ("<", 10, (None, 9)),
        ("<=", 10, (None, 10)),
    ],
)
def test_number_comparisons_are_inclusive_ranges(
    op: str, number: int, ranges: tuple[int | None, ...]
) -> None:
    [cond] = compile_query(f"amount{op}{number}", "payment_intents").conditions
    assert cond.match == "range" and cond.value == ranges


@pytest.mark.parametrize(
    ("op", "ms"),
    [
        (":", (1_700_000_000_000, 1_700_000_000_999)),
        (">", (1_700_000_001_000, None)),
        (">=", (1_700_000_000_000, None)),
        ("<", (None, 1_699_999_999_999)),
        ("<=", (None, 1_700_000_000_999)),
    ],
)
def test_a_time_in_seconds_stands_for_all_of_its_milliseconds(op: str, ms: tuple[int | None, ...]) -> None:
    [cond] = compile_query(f"created{op}1700000000", "customers", time_unit_ms=1000).conditions
    assert cond.value == ms
    [wooshpay] = compile_query("created>=1700000000123", "customers").conditions  # ms as given
    assert wooshpay.value == (1_700_000_000_123, None)
    [quoted] = compile_query('created<"1700000000"', "customers", time_unit_ms=1000).conditions
    assert quoted.value == (None, 1_699_999_999_999)


def test_every_field_has_a_column_in_the_adapter() -> None:
    for resource, fields in FIELDS.items():
        table = tables.tables[resource]
        for name, kind in fields.items():
            if kind is not FieldKind.METADATA:
                assert field_expression(table, name, kind) is not None, (resource, name)


# -- pages -----
def test_a_page_token_carries_the_last_id() -> None:
    for last in ("cus_1838767497487056896", "ch_1838767497487056896AbC9z"):
        token = page_token(last)
        assert token.startswith("page_") and last not in token and page_after(token) == last


@pytest.mark.parametrize(
    "token",
    [
        "",
        "page_",
        "cus_1838767497487056896",
        "page_!!!",
        "page_" + "A" * 80,
        page_token("not an id"),
        "page_" + "YWJj",
    ],
)
def test_a_page_token_that_is_not_one_is_a_400_on_page(token: str) -> None:
    with pytest.raises(ParameterInvalid) as caught:
        page_after(token)
    assert caught.value.param == "page"


# -- fuzzing -----
_ALPHABET = st.sampled_from(
    list("abcdefmnorstuwxyz_.-:~<>=!\"'[]()\\ \t")
    + ["AND", "OR", "and", "null", "email", "metadata", "10", "é"]
)
_QUERYISH = st.lists(_ALPHABET, max_size=40).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.text(max_size=60), _QUERYISH), st.sampled_from(sorted(FIELDS)), st.sampled_from([1, 1000])
)
def test_any_text_compiles_or_is_a_400_on_query(text: str, resource: str, unit: int) -> None:
    try:
        compiled = compile_query(text, resource, time_unit_ms=unit)
    except QueryInvalid as err:
        assert err.param == "query" and err.message
        if err.position is not None:
            assert 0 <= err.position <= len(text)
            assert f"position {err.position}" in err.message
    else:
        assert 1 <= len(compiled.conditions) <= MAX_CLAUSES


_NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}(\.[a-z_][a-z0-9_]{0,5}){0,2}", fullmatch=True).filter(
    lambda s: s.lower() not in ("and", "or")
)
_WORDS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.+-]{0,8}", fullmatch=True).filter(lambda s: s.lower() != "null")
_VALUES = st.one_of(
    st.text(max_size=15).map(lambda t: Value(ValueKind.STRING, t)),
    st.integers(-(10**12), 10**12).map(lambda n: Value(ValueKind.NUMBER, str(n))),
    st.sampled_from(["null", "NULL"]).map(lambda t: Value(ValueKind.NULL, t)),
    _WORDS.map(lambda t: Value(ValueKind.WORD, t)),
)
_CLAUSES = st.builds(
    Clause,
    _NAMES,
    st.sampled_from([":", "~", ">", "<", ">=", "<=", "="]),
    _VALUES,
    st.booleans(),
    st.one_of(st.none(), st.text(max_size=10)),
)
_QUERIES = st.builds(
    lambda clauses, joiner: Query(clauses, joiner if len(clauses) > 1 else "AND"),  # one clause: no joiner
    st.lists(_CLAUSES, min_size=1, max_size=MAX_CLAUSES).map(tuple),
    st.sampled_from(["AND", "OR"]),
)


@settings(max_examples=400, deadline=None)
@given(_QUERIES)
def test_a_written_query_reads_back_as_it_was(query: Query) -> None:
    assert parse(to_text(query)) == query


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_string_value_survives_quoting(text: str) -> None:
    [clause] = parse(f"name:{quote(text)}").clauses
    assert clause.value == Value(ValueKind.STRING, text)
