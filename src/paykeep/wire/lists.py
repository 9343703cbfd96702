"""The list envelope: {"object": "list", "url", "has_more", "data"}, and the search envelope."""

from __future__ import annotations

from typing import Any


def render_list(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "url": url, "has_more": has_more, "data": data}


def render_search_result(url: str, data: list[dict[str, Any]], has_more: bool, next_page: str | None,
                         total_count: int | None = None) -> dict[str, Any]:
    """The search envelope (GET /v1/<resource>/search): a list with `next_page`, the `page` to ask for next
    (null on the last page), and `total_count` when expand[]=total_count asked for it."""
    body: dict[str, Any] = {"object": "search_result", "url": url, "has_more": has_more, "data": data,
                            "next_page": next_page}
    if total_count is not None:
        body["total_count"] = total_count
    return body
