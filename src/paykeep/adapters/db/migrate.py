"""Applies Alembic migrations (all heads) at `init`/`serve`, once at a time across processes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from paykeep.adapters.db.engine import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"
_PG_MIGRATION_LOCK = 7_420_420
_PG_INITIALISATION_LOCK = 7_420_421


@contextlib.contextmanager
def exclusive(db: Database) -> Iterator[None]:
    """One process at a time initialises (creates the keyring, the account, the administrator): those are
    check-then-insert, which PostgreSQL's READ COMMITTED would let two processes starting together both do.
    PostgreSQL: a session advisory lock; SQLite: nothing to add (each step is one `BEGIN IMMEDIATE`)."""
    if db.is_sqlite:
        yield
        return
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_INITIALISATION_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_INITIALISATION_LOCK})
            conn.commit()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(db: Database) -> None:
    cfg = alembic_config()
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
        else:  # SQLite: take the write lock up front (wait for another migrator) rather than fail to upgrade
            conn.info["immediate"] = True
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
        finally:
            if not db.is_sqlite:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
            conn.info["immediate"] = False


def downgrade_to_base(db: Database) -> None:
    cfg = alembic_config()
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
