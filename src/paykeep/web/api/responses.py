"""JSON responses of the API: compact, UTF-8, one encoder for the process."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps would build one per call


def dumps(body: dict[str, Any]) -> str:
    return _ENCODER.encode(body)


def json_response(body: dict[str, Any] | str, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, str) else dumps(body)
    return Response(content=content, status_code=status, media_type="application/json", headers=headers)
