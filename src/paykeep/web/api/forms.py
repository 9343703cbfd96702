"""Request parameters from JSON bodies, form bodies and query strings (Stripe's bracket notation)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from paykeep.domain.errors import ParameterInvalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 10


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][c]=v`, `a[]=v`, `a[0]=v` → nested dicts and lists, as Stripe reads form bodies."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise ParameterInvalid(raw_key, f"Invalid parameter name: {raw_key!r}")
        parts = [match.group(1), *_PART.findall(match.group(2))]
        if len(parts) > MAX_DEPTH:
            raise ParameterInvalid(raw_key, "Parameters are nested too deeply.")
        _assign(root, parts, value, raw_key)
    # Only nested objects become lists: the top level is always an object (`0=x` is a parameter named "0").
    return check_params({name: _listify(value) for name, value in root.items()})


def _assign(node: dict[str, Any], parts: list[str], value: str, raw_key: str) -> None:
    for part in parts[:-1]:
        if part == "":
            part = str(len(node))
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise ParameterInvalid(raw_key, f"Invalid value for {raw_key}: mixes a value and an object.")
        node = child
    last = parts[-1]
    if last == "":
        last = str(len(node))
    if isinstance(node.get(last), dict):
        raise ParameterInvalid(raw_key, f"Invalid value for {raw_key}: mixes a value and an object.")
    node[last] = value


def _listify(node: Any) -> Any:
    """Objects whose keys are all 0..n-1 become lists (`expand[]`, `expand[0]`)."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        indexes = sorted(converted, key=int)
        return [converted[k] for k in indexes]
    return converted


def check_params(node: Any, path: str = "", depth: int = 0) -> Any:
    """Refuse what no parameter may hold (the database could not store it, or no reply could carry it):
    nesting deeper than MAX_DEPTH, NUL characters and unpaired surrogates in names or values."""
    if depth > MAX_DEPTH:
        raise ParameterInvalid(path or "body", "Parameters are nested too deeply.")
    if isinstance(node, dict):
        for key, value in node.items():
            name = f"{path}[{key}]" if path else str(key)
            check_text(name, str(key))
            check_params(value, name, depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_params(value, f"{path}[{index}]", depth + 1)
    elif isinstance(node, str):
        check_text(path, node)
    elif isinstance(node, float) and not math.isfinite(node):  # JSON's NaN / Infinity extensions
        raise ParameterInvalid(path or "body", f"Invalid {path or 'body'}: numbers must be finite.")
    return node


def check_text(param: str, text: str) -> None:
    if "\x00" in text or _SURROGATE.search(text):
        name = _printable(param)
        raise ParameterInvalid(name, f"Invalid {name}: contains a NUL character or an unpaired surrogate.")


def _printable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text.replace("\x00", "\ufffd"))


def decode_query(query: str) -> dict[str, Any]:
    return decode_pairs(parse_qsl(query, keep_blank_values=True))


def decode_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (not media and body.lstrip()[:1] in (b"{", b"[")):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ParameterInvalid("body", "Invalid JSON body: could not be parsed.") from None
        except RecursionError:
            raise ParameterInvalid("body", "Parameters are nested too deeply.") from None
        if not isinstance(data, dict):
            raise ParameterInvalid("body", "The JSON body must be an object.")
        return check_params(data)
    if media in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ParameterInvalid("body", "The form body must be UTF-8.") from None
        return decode_pairs(parse_qsl(text, keep_blank_values=True))
    raise ParameterInvalid(
        "Content-Type",
        "Unsupported Content-Type: send application/json or application/x-www-form-urlencoded.",
    )
