"""Domain errors: each carries the API's type/code/param; the web layer maps the class to an HTTP status."""

from __future__ import annotations

from typing import Any


class PaykeepError(Exception):
    """Base of every error the API reports. `type` and `code` are the wire values."""

    type = "api_error"
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            body["code"] = self.code
        if self.decline_code is not None:
            body["decline_code"] = self.decline_code
        if self.param is not None:
            body["param"] = self.param
        body.update(self.extra)
        return body


class InvalidRequest(PaykeepError):
    """400: the request is malformed or not allowed in the object's current state."""

    type = "invalid_request_error"


class ParameterError(InvalidRequest):
    """400 raised while reading parameters, before anything ran (never stored for idempotency)."""


class ParameterMissing(ParameterError):
    default_code = "parameter_missing"

    def __init__(self, param: str, message: str | None = None) -> None:
        super().__init__(message or f"Missing required param: {param}.", param=param)


class ParameterUnknown(ParameterError):
    default_code = "parameter_unknown"

    def __init__(self, param: str, message: str | None = None) -> None:
        super().__init__(message or f"Received unknown parameter: {param}", param=param)


class ParameterUnsupported(ParameterError):
    """A parameter of Stripe's API that paykeep refuses on purpose (API.md §9): `reason` says why."""

    default_code = "parameter_unsupported"

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(f"Received unsupported parameter: {param}. {reason}", param=param)
        self.reason = reason


class ParameterInvalid(ParameterError):
    """`code` is one of parameter_invalid_empty / _integer / _string_empty / parameter_invalid (generic)."""

    default_code = "parameter_invalid"

    def __init__(self, param: str, message: str, code: str | None = None) -> None:
        super().__init__(message, param=param, code=code or self.default_code)


class RequestTooLarge(ParameterError):
    """413: a request body over the limit, refused before it is read to the end."""

    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is too large: at most {limit} bytes are accepted.")


class ResourceMissing(InvalidRequest):
    """404."""

    default_code = "resource_missing"

    def __init__(self, kind: str, object_id: str, param: str | None = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", param=param)


class UnexpectedState(InvalidRequest):
    """400: the transition table does not allow this action from the current status."""


class AuthenticationFailed(InvalidRequest):
    """401."""

    default_code = "api_key_invalid"


class PermissionDenied(InvalidRequest):
    """403."""

    default_code = "secret_key_required"


class CardError(PaykeepError):
    """402: the card was refused (by form checks or by the network)."""

    type = "card_error"


class IdempotencyError(PaykeepError):
    """400: the key was reused with other parameters or another path."""

    type = "idempotency_error"
    default_code = "idempotency_key_reused"


class IdempotencyInUse(InvalidRequest):
    """409: a request with this key is still running."""

    default_code = "idempotency_key_in_use"


class RateLimited(InvalidRequest):
    """429."""

    default_code = "rate_limit"


class ApiError(PaykeepError):
    """500: something went wrong on our side (never carries internal detail)."""

    type = "api_error"


class StorageUnavailable(ApiError):
    """503: the database cannot take writes right now (disk full, read-only, I/O error). The request did not
    complete; the client retries after `Retry-After` seconds (safely, with an Idempotency-Key)."""

    default_code = "storage_unavailable"
    RETRY_AFTER = 5

    def __init__(self, reason: str) -> None:
        super().__init__(
            "paykeep cannot write to its database right now (the storage is full or read-only). Retry later; "
            "a request with an Idempotency-Key is safe to retry.",
            extra={"retry_after": self.RETRY_AFTER},
        )
        self.reason = reason
