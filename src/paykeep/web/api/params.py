"""An API call's parameters: read from the path, the query and the body (form or JSON, size-limited), then
validated by the endpoint's pydantic model, a ValidationError becoming the 400 parameter_* error that names
the parameter (`shipping[address][city]`). An unknown key that wire/unsupported.py's table refuses on purpose
(`on_behalf_of`, `payment_method_options[sepa_debit]`, …) is `parameter_unsupported` with the reason; the
table is read only then, on the error path."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from paykeep.domain.errors import (
    ParameterError,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    ParameterUnsupported,
    RequestTooLarge,
)
from paykeep.web.api.forms import check_text, decode_body, decode_query
from paykeep.wire.unsupported import refused

P = TypeVar("P", bound=BaseModel)
MAX_PATH_ID_LENGTH = 255  # ids are 40 characters at most; a longer one cannot name anything
MAX_BODY_BYTES = 1024 * 1024  # 50 metadata keys of 500 characters are 25 KB; nothing legitimate comes near


async def read_raw(request: Request) -> dict[str, Any]:
    """The call's raw parameters: a GET's query; a DELETE's query and body; a POST's body, then any query
    parameter the body does not name. Path ids are checked like a parameter named `id`."""
    for value in request.path_params.values():
        check_text("id", str(value))
        if len(str(value)) > MAX_PATH_ID_LENGTH:
            raise ParameterInvalid("id", f"Invalid id: at most {MAX_PATH_ID_LENGTH} characters.")
    query = request.scope.get("query_string", b"").decode()  # what request.url.query holds, without a URL
    if request.method in ("GET", "DELETE"):
        raw = decode_query(query)
        if request.method == "DELETE":
            raw.update(decode_body(request.headers.get("content-type", ""), await read_body(request)))
        return raw
    raw = decode_body(request.headers.get("content-type", ""), await read_body(request))
    if query:
        for name, value in decode_query(query).items():
            raw.setdefault(name, value)
    return raw


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it is known to be over MAX_BODY_BYTES: by its declared
    Content-Length before any of it is read, else while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestTooLarge(MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestTooLarge(MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def validate(model: type[P], raw: dict[str, Any]) -> P:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise param_error(model, exc) from None


def expand_paths(params: BaseModel) -> list[str]:
    return list(getattr(params, "expand", None) or [])


def missing(param: str) -> ParameterMissing:
    return ParameterMissing(param)


def param_error(model: type[BaseModel], exc: ValidationError) -> ParameterError:
    """The 400 for a request `model` refused (what the server answers; tools/stripe_oracle.py's probe too)."""
    errors = exc.errors()
    for err in errors:
        if err["type"] == "extra_forbidden":
            path = _loc_parts(err["loc"])
            refusal = refused(model, path, err.get("input"))
            if refusal is not None:
                return ParameterUnsupported(_bracket(refusal[0]), refusal[1])
            return ParameterUnknown(_bracket(path))
        if err["type"] == "parameter_unsupported":  # PydanticCustomError("parameter_unsupported", reason)
            return ParameterUnsupported(_loc_to_param(err["loc"]), err["msg"])
    for err in errors:
        if err["type"] == "missing":
            return ParameterMissing(_loc_to_param(err["loc"]))
    # The most specific parameter named by any error (a union reports one error per member: the member that
    # got furthest names the deepest parameter); on a tie, the first member's error.
    err = max(errors, key=lambda e: len(_loc_to_param(e["loc"])))
    param = _loc_to_param(err["loc"])
    code = {
        "int_parsing": "parameter_invalid_integer", "int_type": "parameter_invalid_integer",
        "int_from_float": "parameter_invalid_integer", "string_type": "parameter_invalid_string",
        "bool_parsing": "parameter_invalid_boolean", "bool_type": "parameter_invalid_boolean",
        "list_type": "parameter_invalid_array",
    }.get(err["type"], "parameter_invalid")
    msg = err["msg"]
    if err["type"].startswith("model_") or err["type"] == "dict_type":
        msg = "should be an object (a hash) of parameters"
    return ParameterInvalid(param, f"Invalid {param}: {msg}", code=code)


def _loc_to_param(loc: tuple[Any, ...]) -> str:
    """('shipping', 'Shipping', 'address', 'city') -> 'shipping[address][city]': pydantic's union member tags
    (type names, and model class names, which are CamelCase while parameter names are snake_case) go."""
    return _bracket(_loc_parts(loc))


def _loc_parts(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    return tuple(p for p in loc
                 if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS or _CLASS_NAME.match(p))))


def _bracket(parts: tuple[str | int, ...]) -> str:
    if not parts:
        return ""
    return str(parts[0]) + "".join(f"[{p}]" for p in parts[1:])


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "literal", "function-after", "function-before",
               "function-plain", "function-wrap", "nullable", "constrained-str", "union", "model"}
_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
