"""Table-driven status transitions: `advance(table, status, action)` is the only way a status changes."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class InvalidTransition(Exception):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} from {status}")
        self.status = status
        self.action = action


Table = Mapping[tuple[StrEnum, StrEnum], StrEnum]


def advance(table: Table, status: StrEnum, action: StrEnum) -> StrEnum:
    try:
        return table[(status, action)]
    except KeyError:
        raise InvalidTransition(str(status), str(action)) from None


def allowed_actions(table: Table, status: StrEnum) -> list[StrEnum]:
    return [action for (st, action) in table if st == status]
