"""The one table from domain error class to HTTP status, and the error envelope."""

from __future__ import annotations

from typing import Any

from paykeep.domain import errors as e

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[e.PaykeepError], int], ...] = (
    (e.AuthenticationFailed, 401),
    (e.PermissionDenied, 403),
    (e.ResourceMissing, 404),
    (e.IdempotencyInUse, 409),
    (e.RequestTooLarge, 413),
    (e.RateLimited, 429),
    (e.CardError, 402),
    (e.IdempotencyError, 400),
    (e.InvalidRequest, 400),
    (e.StorageUnavailable, 503),
    (e.ApiError, 500),
    (e.PaykeepError, 500),
)


def status_for(error: e.PaykeepError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def envelope(error: e.PaykeepError) -> dict[str, Any]:
    return {"error": error.to_dict()}


def internal_error() -> e.ApiError:
    return e.ApiError("An unexpected error occurred on our side. Try again later.", code="api_error")
