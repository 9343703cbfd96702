"""What `paykeep trigger` and `paykeep listen` share with the other commands, without importing paykeep.cli
(which imports them: tests/unit/test_import_graph.py wants no cycle): failing as they fail (one line on
stderr, exit status 2), the dialect option, the local database's runtime and its account's test key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer


def fail(message: str) -> NoReturn:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print("[red]error:[/red]", escape(message), soft_wrap=True)  # as cli._fail
    raise typer.Exit(2)


def checked_dialect(value: str | None) -> str | None:
    """`wooshpay` / `stripe` (any case), None when not given; anything else fails."""
    from paykeep.domain.dialects import NAMES, parse_dialect
    from paykeep.domain.errors import ParameterInvalid

    if value is None:
        return None
    try:
        return parse_dialect(value, param="dialect").value
    except ParameterInvalid:
        fail(f"unknown dialect {value!r}: use one of {', '.join(NAMES)}")


def settings(db: str | None, key_file: Path | None) -> Any:  # -> config.Settings
    from paykeep.config import Settings

    return Settings.from_env(database_url=db, key_file=key_file)


def open_runtime(db: str | None, key_file: Path | None) -> Any:  # -> bootstrap.Runtime
    """The runtime of an initialised database; a missing or wrong key, an unusable database: fail."""
    from paykeep import bootstrap

    try:
        return bootstrap.build_runtime(settings(db, key_file))
    except Exception as exc:
        described = bootstrap.describe_failure(exc)
        if described is None:
            raise
        fail(described)


def local_test_key(runtime: Any) -> str:
    """The test secret key of the account `paykeep init` made (the first one)."""
    from paykeep.services import accounts

    return accounts.ensure_account(runtime.deps).keys[("secret", False)]
