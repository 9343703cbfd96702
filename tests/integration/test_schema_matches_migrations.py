"""The schema is written twice, as SQLAlchemy tables (src/paykeep/adapters/db/tables/) and as Alembic
migrations (src/paykeep/migrations/versions/); this test notices when they drift apart (issue 12 #5).

On an empty database of the backend under test (SQLite here, PostgreSQL on scripts/test's second pass) it runs
every migration the way `paykeep init`/`serve` does, then asks Alembic's autogenerate to compare the result
with the tables' metadata: columns, types, nullability, indexes, unique constraints and foreign keys. Any
difference fails with one line per difference and what to do about it.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from paykeep.adapters.db import migrate
from paykeep.adapters.db.engine import Database
from paykeep.adapters.db.tables import metadata


def schema_differences(url: str, target: MetaData) -> list[str]:
    """What `target` has that the migrated database at `url` lacks, or has otherwise, one line each."""
    db = Database(url)
    try:
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return [_line(entry) for entry in compare_metadata(context, target)]
    finally:
        db.dispose()


def _line(entry: Any) -> str:
    """One autogenerate diff entry as text: ("add_column", schema, table, Column) and the like, or a list of
    ("modify_nullable", schema, table, column, info, old, new) for changes to one column."""
    if isinstance(entry, list):
        return "; ".join(_modify(change) for change in entry)
    op, *rest = entry
    if op in ("add_table", "remove_table"):
        table = rest[0]
        where = "the tables have it, the migrations do not" if op == "add_table" else "only the migrations"
        return f"table {table.name}: {where} (columns: {', '.join(c.name for c in table.columns)})"
    if op in ("add_column", "remove_column"):
        _schema, table, column = rest
        where = "the tables have it, the migrations do not" if op == "add_column" else "only the migrations"
        return f"column {table}.{column.name} {column.type!r} nullable={column.nullable}: {where}"
    if op in ("add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        item = rest[0]
        where = "the tables have it, the migrations do not" if op.startswith("add") else "only the migrations"
        columns = ", ".join(c.name for c in getattr(item, "columns", ()) or ())
        unique = " unique" if getattr(item, "unique", False) else ""
        return f"{op.split('_', 1)[1]}{unique} {item.name} on {item.table.name}({columns}): {where}"
    return f"{op}: {rest!r}"


def _modify(change: tuple[Any, ...]) -> str:
    op, _schema, table, column, _info, migrated, tables = change
    what = op.removeprefix("modify_")
    return f"column {table}.{column} {what}: migrations give {migrated!r}, the tables say {tables!r}"


def _report(differences: list[str]) -> str:
    head = (f"{len(differences)} difference(s) between the migrated schema and adapters/db/tables/"
            " (if the tables are right, add a migration: migrations/versions/00NN_<verb>_<noun>.py):")
    return head + "".join(f"\n  - {line}" for line in differences)


def test_the_migrations_build_exactly_the_schema_the_tables_describe(database_url: str) -> None:
    differences = schema_differences(database_url, metadata)
    assert not differences, _report(differences)
