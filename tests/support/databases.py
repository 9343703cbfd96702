"""Which database backend the suite runs on: SQLite files (default) or fresh PostgreSQL databases.

PAYKEEP_TEST_BACKEND=postgres with PAYKEEP_TEST_PG_URL=postgresql://user@127.0.0.1:PORT/postgres makes every
server and storage test use its own new database on that cluster.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

BACKEND = os.environ.get("PAYKEEP_TEST_BACKEND", "sqlite")
PG_ADMIN_URL = os.environ.get("PAYKEEP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:54329/postgres")


# PostgreSQL databases this process created and has not dropped yet (dropped at teardown / session end).
_created: set[str] = set()


def new_database_url(tmp_dir: Path) -> str:
    """A URL of an empty database for one server or test."""
    if BACKEND == "postgres":
        import psycopg

        name = "pk_" + uuid.uuid4().hex[:16]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _created.add(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    return f"sqlite:///{tmp_dir / 'paykeep.db'}"


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by new_database_url (SQLite files go with the tmp dir)."""
    if not url.startswith(("postgresql", "postgres")):
        return
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if name not in _created:
        return
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _created.discard(name)


def drop_all_created() -> None:
    """Session end: drop every database this process created and still holds."""
    for name in sorted(_created):
        drop_database(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)


def dump_database_bytes(url: str) -> bytes:
    """Every byte the database holds (files for SQLite; a full dump of row values for PostgreSQL)."""
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite:///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
    import psycopg

    chunks: list[bytes] = []
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)
