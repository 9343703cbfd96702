"""The list envelope: {"object": "list", "url", "has_more", "data"}."""

from __future__ import annotations

from typing import Any


def render_list(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "url": url, "has_more": has_more, "data": data}
