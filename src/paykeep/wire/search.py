"""Search (GET /v1/{customers,payment_intents,charges}/search): the request parameters.

The query language is domain/search.py's; the response is the `search_result` envelope (wire/lists.py)."""

from __future__ import annotations

from pydantic import Field

from paykeep.wire.params import ExpandParams, Limit

TOTAL_COUNT = "total_count"  # expand[]=total_count: the envelope's total_count (Stripe's only such expand)


class SearchParams(ExpandParams):
    query: str = Field(description='The search query, e.g. `email:"jenny@example.com"` (docs/search.md).')
    limit: Limit = 10
    page: str | None = Field(None, description="The `next_page` of the previous result, for the next page.")

    @property
    def wants_total_count(self) -> bool:
        return TOTAL_COUNT in self.expand

    def object_paths(self) -> list[str]:
        """expand[] paths on the objects found (`data.` optional), without `total_count`."""
        return [f"data.{path.removeprefix('data.')}" for path in self.expand if path != TOTAL_COUNT]
