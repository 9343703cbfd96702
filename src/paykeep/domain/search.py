"""Stripe's search query language (API.md §9 "Search", docs/search.md): tokenizer, parser, field tables.

    email:"jenny@example.com"            exact match (case-insensitive on string fields)
    name~"jen"                           substring, at least 3 characters (string fields only)
    metadata["order_id"]:"6735"          a metadata value (keys and values in single or double quotes)
    created>1700000000 amount<=5000      comparisons on numbers and times (>, <, >=, <=, and : or = for equal)
    -status:"canceled"                   negation
    email:null                           the field is empty
    a:"1" b:"2" / a:"1" AND b:"2"        AND (a space is AND); OR joins alternatives; the two do not mix

`parse(text)` is the grammar alone (no field table): a `Query` of `Clause`s joined by AND or OR, which
`to_text` writes back (parse(to_text(q)) == q). `compile_query(text, resource, time_unit_ms=...)` parses,
checks every clause against the resource's field table and returns `Condition`s in stored units (times in ms,
currencies upper-case, comparisons as inclusive integer ranges), which adapters/db turns into SQL.

Every refusal is a `QueryInvalid` (400 invalid_request_error, param `query`) whose message names the position
(characters counted from 0) where the query stopped making sense.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import Literal

from paykeep.domain.errors import ParameterInvalid

MAX_CLAUSES = 10  # as Stripe
MIN_SUBSTRING = 3  # `~` needs at least this many characters, as Stripe
MAX_QUERY_LENGTH = 10_000  # far above any real query; a bound on the work one request can ask for
_INT64 = (-(2**63), 2**63 - 1)
Joiner = Literal["AND", "OR"]


class QueryInvalid(ParameterInvalid):
    """400 on `query`: the query does not parse, or asks for something its resource cannot search."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__("query", message)
        self.position = position


def _syntax(position: int, what: str) -> QueryInvalid:
    return QueryInvalid(f"Syntax error at position {position}: {what}", position)


def _invalid(position: int, what: str) -> QueryInvalid:
    return QueryInvalid(f"Invalid query at position {position}: {what}", position)


# == the grammar =============================================================================================

class ValueKind(enum.Enum):
    STRING = "string"  # quoted: "…" or '…'
    NUMBER = "number"  # bare digits, optionally signed: 1000, -5
    NULL = "null"  # bare null / NULL
    WORD = "word"  # any other bare word: true, false, succeeded (only booleans take one)


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    text: str  # the string's content (escapes resolved), or the bare word as written
    position: int = dataclasses.field(default=0, compare=False)


OPERATORS = (">=", "<=", ":", "~", ">", "<", "=")


@dataclass(frozen=True)
class Clause:
    field: str  # `email`, `payment_method_details.card.last4`, `metadata`
    op: str  # one of OPERATORS
    value: Value
    negated: bool = False
    key: str | None = None  # metadata["key"]
    position: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    joiner: Joiner = "AND"


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_BARE = re.compile(r"[^\s\"'\[\]():~<>=]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_KEYWORDS = {"and": "AND", "or": "OR"}


def _shown(text: str, position: int) -> str:
    """What is at `position`, for an error message."""
    if position >= len(text):
        return "the end of the query"
    return repr(text[position])


class _Parser:
    """query := clause ((' ' | ' AND ' | ' OR ') clause)* ; clause := ['-'] field ['[' quoted ']'] op value"""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- helpers -------------------------------------------------------------------------------------------
    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_space(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def _keyword_here(self) -> str | None:
        """AND / OR (any case) at the cursor, as a word of its own (followed by a space or the end)."""
        for word, joiner in _KEYWORDS.items():
            end = self.pos + len(word)
            alone = end == len(self.text) or (end < len(self.text) and self.text[end].isspace())
            if alone and self.text[self.pos:end].lower() == word:
                return joiner
        return None

    # -- the grammar -----------------------------------------------------------------------------------------
    def query(self) -> Query:
        self._skip_space()
        if self.pos >= len(self.text):
            raise _syntax(self.pos, 'the query is empty: expected a clause such as email:"jenny@example.com"')
        clauses = [self.clause()]
        joiner: Joiner | None = None
        while True:
            spaced = self._skip_space()
            if self.pos >= len(self.text):
                break
            if not spaced:
                raise _syntax(self.pos, f"expected a space, AND or OR after a clause, found "
                                        f"{_shown(self.text, self.pos)}")
            keyword_at = self.pos
            keyword = self._keyword_here()
            if keyword is not None:
                self.pos += len(keyword)
                self._skip_space()
                if self.pos >= len(self.text):
                    raise _syntax(self.pos, f"expected a clause after {keyword}")
            this: Joiner = "OR" if keyword == "OR" else "AND"
            if joiner is not None and this != joiner:
                raise _syntax(keyword_at, "AND and OR cannot be combined in one query (a space between "
                                          "clauses is AND)")
            joiner = this
            clauses.append(self.clause())
            if len(clauses) > MAX_CLAUSES:
                raise _invalid(clauses[-1].position, f"a query can have at most {MAX_CLAUSES} clauses")
        return Query(tuple(clauses), joiner or "AND")

    def clause(self) -> Clause:
        start = self.pos
        negated = self._peek() == "-"
        if negated:
            self.pos += 1
        match = _FIELD.match(self.text, self.pos)
        if match is None:
            after = " after '-'" if negated else ""
            what = _shown(self.text, self.pos)
            if self._peek() in "()":
                raise _syntax(self.pos, f"parentheses are not supported, found {what}")
            raise _syntax(self.pos, f"expected a field name{after}, found {what}")
        name = match.group()
        self.pos = match.end()
        key: str | None = None
        if self._peek() == "[":
            self.pos += 1
            if self._peek() not in ("'", '"'):
                raise _syntax(self.pos, f"expected a quoted key after '[', as in {name}[\"key\"], found "
                                        f"{_shown(self.text, self.pos)}")
            key = self.quoted()
            if self._peek() != "]":
                raise _syntax(self.pos, f"expected ']' after the key, found {_shown(self.text, self.pos)}")
            self.pos += 1
        op = self.operator(name)
        return Clause(name, op, self.value(op), negated, key, start)

    def operator(self, name: str) -> str:
        for op in OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        raise _syntax(self.pos, f"expected an operator (:, ~, >, <, >=, <=) after {name}, found "
                                f"{_shown(self.text, self.pos)}")

    def value(self, op: str) -> Value:
        start = self.pos
        char = self._peek()
        if char in ("'", '"'):
            return Value(ValueKind.STRING, self.quoted(), start)
        match = _BARE.match(self.text, self.pos)
        if match is None:
            raise _syntax(self.pos, f"expected a value after '{op}', found {_shown(self.text, self.pos)}")
        self.pos = match.end()
        word = match.group()
        if word.lower() == "null":
            return Value(ValueKind.NULL, word, start)
        if _INTEGER.fullmatch(word):
            return Value(ValueKind.NUMBER, word, start)
        return Value(ValueKind.WORD, word, start)

    def quoted(self) -> str:
        """A '…' or "…" string at the cursor; a backslash takes the next character as it is (\\" \\' \\\\)."""
        quote, start = self.text[self.pos], self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == quote:
                return "".join(out)
            out.append(char)
        raise _syntax(start, f"the string that starts here is not closed (a {quote} is missing)")


def parse(text: str) -> Query:
    """The query's clauses as written (no field table: see `compile_query`); a QueryInvalid otherwise."""
    if not isinstance(text, str):
        raise QueryInvalid("Invalid query: must be a string.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryInvalid(f"Invalid query: at most {MAX_QUERY_LENGTH} characters are accepted.")
    return _Parser(text).query()


def quote(text: str) -> str:
    """A string value written so that `parse` reads `text` back."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(query: Query) -> str:
    """The query written out (canonical spelling: double quotes, explicit AND/OR); parse(to_text(q)) == q."""
    parts = []
    for c in query.clauses:
        value = quote(c.value.text) if c.value.kind is ValueKind.STRING else c.value.text
        key = f"[{quote(c.key)}]" if c.key is not None else ""
        parts.append(f"{'-' if c.negated else ''}{c.field}{key}{c.op}{value}")
    return f" {query.joiner} ".join(parts)


# == the fields each resource can search (https://docs.stripe.com/search#query-fields) =======================

class FieldKind(enum.Enum):
    STRING = "string"  # `:` (case-insensitive) and `~` (substring)
    TOKEN = "token"  # `:` only, exact (case-sensitive): ids, statuses, card details
    NUMBER = "number"  # integers: `:`/`=`, `>`, `<`, `>=`, `<=`
    TIME = "time"  # as NUMBER, in the request's dialect unit (Stripe: seconds, WooshPay: ms)
    CURRENCY = "currency"  # `:`, any case (stored upper-case)
    BOOLEAN = "boolean"  # `:` true / false
    METADATA = "metadata"  # metadata["key"] `:` a value (exact), or null (no such key)


_CARD = "payment_method_details.card."
FIELDS: dict[str, dict[str, FieldKind]] = {
    "customers": {
        "created": FieldKind.TIME, "email": FieldKind.STRING, "metadata": FieldKind.METADATA,
        "name": FieldKind.STRING, "phone": FieldKind.STRING,
    },
    "payment_intents": {
        "amount": FieldKind.NUMBER, "created": FieldKind.TIME, "currency": FieldKind.CURRENCY,
        "customer": FieldKind.TOKEN, "metadata": FieldKind.METADATA, "status": FieldKind.TOKEN,
    },
    "charges": {
        "amount": FieldKind.NUMBER, "billing_details.address.postal_code": FieldKind.STRING,
        "created": FieldKind.TIME, "currency": FieldKind.CURRENCY, "customer": FieldKind.TOKEN,
        "disputed": FieldKind.BOOLEAN, "metadata": FieldKind.METADATA,
        _CARD + "brand": FieldKind.TOKEN, _CARD + "exp_month": FieldKind.NUMBER,
        _CARD + "exp_year": FieldKind.NUMBER, _CARD + "fingerprint": FieldKind.TOKEN,
        _CARD + "last4": FieldKind.TOKEN, "refunded": FieldKind.BOOLEAN, "status": FieldKind.TOKEN,
    },
    "products": {
        "active": FieldKind.BOOLEAN, "created": FieldKind.TIME, "description": FieldKind.STRING,
        "metadata": FieldKind.METADATA, "name": FieldKind.STRING, "shippable": FieldKind.BOOLEAN,
        "url": FieldKind.STRING,
    },
    "prices": {
        "active": FieldKind.BOOLEAN, "created": FieldKind.TIME, "currency": FieldKind.CURRENCY,
        "lookup_key": FieldKind.STRING, "metadata": FieldKind.METADATA, "product": FieldKind.TOKEN,
        "type": FieldKind.TOKEN,
    },
}
RESOURCES = tuple(FIELDS)

_OPERATORS_OF: dict[FieldKind, tuple[str, ...]] = {
    FieldKind.STRING: (":", "~"),
    FieldKind.TOKEN: (":",),
    FieldKind.NUMBER: (":", "=", ">", "<", ">=", "<="),
    FieldKind.TIME: (":", "=", ">", "<", ">=", "<="),
    FieldKind.CURRENCY: (":",),
    FieldKind.BOOLEAN: (":",),
    FieldKind.METADATA: (":",),
}
_EXAMPLES: dict[FieldKind, str] = {
    FieldKind.STRING: '{f}:"jenny"', FieldKind.TOKEN: '{f}:"value"', FieldKind.NUMBER: "{f}>1000",
    FieldKind.TIME: "{f}>1700000000", FieldKind.CURRENCY: '{f}:"usd"', FieldKind.BOOLEAN: "{f}:true",
    FieldKind.METADATA: '{f}["key"]:"value"',
}


# == compiled: what storage runs =============================================================================

Match = Literal["equals", "contains", "range", "null"]


@dataclass(frozen=True)
class Condition:
    """One clause as storage runs it. `equals`: `value` is a str (or bool for booleans); `contains`: a str
    (string fields, case-insensitive); `range`: (low, high) inclusive integers in stored units, either None
    for an open end; `null`: the field is empty (for metadata: the key is absent)."""

    field: str
    kind: FieldKind
    match: Match
    value: str | bool | tuple[int | None, int | None] | None = None
    negated: bool = False
    key: str | None = None  # metadata


@dataclass(frozen=True)
class CompiledQuery:
    conditions: tuple[Condition, ...]
    joiner: Joiner = "AND"


def compile_query(text: str, resource: str, *, time_unit_ms: int = 1) -> CompiledQuery:
    """`text` parsed and checked against `resource`'s fields, in stored units: a time given in the request's
    unit (`time_unit_ms`: 1000 for seconds) stands for all of its milliseconds."""
    fields = FIELDS[resource]
    query = parse(text)
    return CompiledQuery(tuple(_compile(c, resource, fields, time_unit_ms) for c in query.clauses),
                         query.joiner)


def _compile(c: Clause, resource: str, fields: dict[str, FieldKind], unit: int) -> Condition:
    kind = fields.get(c.field)
    if kind is None:
        names = ", ".join(sorted(fields))
        raise QueryInvalid(f"Invalid query at position {c.position}: {c.field} is not a search field of "
                           f"{resource}. The fields are: {names}.", c.position)
    example = _EXAMPLES[kind].format(f=c.field)
    if kind is FieldKind.METADATA and c.key is None:
        raise _invalid(c.position, f"metadata needs a key, as in {example}")
    if kind is not FieldKind.METADATA and c.key is not None:
        raise _invalid(c.position, f"only metadata takes a [key], not {c.field}")
    if c.op not in _OPERATORS_OF[kind]:
        allowed = ", ".join(_OPERATORS_OF[kind])
        raise _invalid(c.position, f"{c.field} cannot be searched with '{c.op}' (it takes {allowed}), "
                                   f"as in {example}")
    v = c.value
    if v.kind is ValueKind.NULL:
        if c.op not in (":", "="):
            raise _invalid(v.position, f"null can only be matched with ':', as in {c.field}:null")
        return Condition(c.field, kind, "null", None, c.negated, c.key)
    if kind in (FieldKind.NUMBER, FieldKind.TIME):
        number = _integer(v, c.field, example)
        return Condition(c.field, kind, "range", _bounds(c.op, number, unit if kind is FieldKind.TIME else 1,
                                                         v.position), c.negated)
    if kind is FieldKind.BOOLEAN:
        truth = v.text.lower() if v.kind in (ValueKind.WORD, ValueKind.STRING) else ""
        if truth not in ("true", "false"):
            raise _invalid(v.position, f"{c.field} is true or false, as in {example}")
        return Condition(c.field, kind, "equals", truth == "true", c.negated)
    if v.kind is ValueKind.WORD:
        raise _invalid(v.position, f"string values must be in quotes, as in {example}")
    text = v.text  # a STRING, or digits (a last4, a phone number) taken as written
    if c.op == "~":
        if len(text) < MIN_SUBSTRING:
            raise _invalid(v.position, f"a substring search ('~') needs at least {MIN_SUBSTRING} characters")
        return Condition(c.field, kind, "contains", text, c.negated)
    if kind is FieldKind.CURRENCY:
        text = text.strip().upper()
    return Condition(c.field, kind, "equals", text, c.negated, c.key)


def _integer(v: Value, name: str, example: str) -> int:
    text = v.text.strip() if v.kind is ValueKind.STRING else v.text
    if v.kind not in (ValueKind.NUMBER, ValueKind.STRING) or not _INTEGER.fullmatch(text):
        raise _invalid(v.position, f"{name} takes an integer, as in {example}")
    number = int(text)
    if not _INT64[0] <= number <= _INT64[1]:
        raise _invalid(v.position, f"{name}: {text[:25]} is out of range")
    return number


def _bounds(op: str, number: int, unit: int, position: int) -> tuple[int | None, int | None]:
    """The inclusive stored range of `<field> <op> <number>`: a value in a unit of `unit` stored units (a
    second, 1000 ms) covers all of them: `created>s` starts after its last ms, `created<=s` reaches it."""
    first, last = number * unit, number * unit + unit - 1
    low, high = {
        ":": (first, last), "=": (first, last), ">=": (first, None), ">": (last + 1, None),
        "<=": (None, last), "<": (None, first - 1),
    }[op]
    for bound in (low, high):
        if bound is not None and not _INT64[0] <= bound <= _INT64[1]:
            raise _invalid(position, f"{number} is out of range")
    return low, high


# == pages ===================================================================================================

_PAGE_PREFIX = "page_"
_PAGE_ID = re.compile(r"[a-z]{1,10}_[0-9A-Za-z]{1,40}")


def page_token(last_id: str) -> str:
    """The opaque `next_page` after a page whose last (oldest) object is `last_id`."""
    return _PAGE_PREFIX + base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def page_after(token: str) -> str:
    """The id a `page` token continues after (results older than it); a 400 naming `page` otherwise."""
    body = token.removeprefix(_PAGE_PREFIX) if token.startswith(_PAGE_PREFIX) else None
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode() if body else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not _PAGE_ID.fullmatch(decoded):
        raise ParameterInvalid("page", "Invalid page: use the next_page value of a previous search result.")
    return decoded
