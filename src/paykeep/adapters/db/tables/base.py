"""The shared MetaData (with a constraint naming convention) and column helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, MetaData, String

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def resource_columns() -> list[Column[Any]]:
    """id, account_id, livemode, created (ms): the columns every API resource has."""
    return [
        Column("id", String(40), primary_key=True),
        Column("account_id", String(40), nullable=False),
        Column("livemode", Boolean, nullable=False),
        Column("created", BigInteger, nullable=False),
        Column("metadata", JSON, nullable=False, default=dict),
    ]
