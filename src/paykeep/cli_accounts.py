"""`paykeep accounts create`: a further, isolated account with its own four keys (the test kit, issue 16).

The same service as POST /v1/test_helpers/accounts (services/accounts.create_account), on the local database:
for scripts and CI jobs that share a database with `paykeep serve`, without the HTTP path being open.
Nothing here imports paykeep.cli (which imports this module): no import cycle."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

accounts_app = typer.Typer(help="Accounts: make further isolated accounts (tests, CI).", no_args_is_help=True)

DbOpt = Annotated[
    str | None, typer.Option("--db", help="sqlite:///path or postgresql://… (PAYKEEP_DATABASE_URL)")
]
KeyFileOpt = Annotated[Path | None, typer.Option("--key-file", help="Master key file (PAYKEEP_KEY_FILE)")]


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")


def _fail(message: str) -> NoReturn:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print("[red]error:[/red]", escape(message), soft_wrap=True)  # as cli._fail
    raise typer.Exit(2)


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str | None, typer.Option("--name", help="The account's name")] = None,
    dialect: Annotated[str | None, typer.Option(
        "--dialect", help="Its default dialect: wooshpay or stripe (default: the first account's)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Create a new account with its own test and live keys, isolated from every other account.

    Run `paykeep init` first (it makes the database, the key and the first account, which stays the one
    `init`, `account show` and the dashboard mean)."""
    from paykeep import bootstrap
    from paykeep.config import Settings
    from paykeep.domain.dialects import NAMES, parse_dialect
    from paykeep.domain.errors import ParameterInvalid
    from paykeep.services import accounts

    try:
        chosen = parse_dialect(dialect, param="dialect") if dialect is not None else None
    except ParameterInvalid:
        _fail(f"unknown dialect {dialect!r}: use one of {', '.join(NAMES)}")
    # a missing key or an unusable database: one line and exit 2, from cli.main (bootstrap.describe_failure)
    runtime = bootstrap.build_runtime(Settings.from_env(database_url=db, key_file=key_file))
    try:
        output = accounts.create_account(runtime.deps, name=name, dialect=chosen).as_dict()
    finally:
        runtime.close()
    if as_json:
        sys.stdout.write(json.dumps(output) + "\n")
        return
    from rich.console import Console

    out = Console(soft_wrap=True)  # every key on one line, whatever the terminal (cli._print_keys)
    out.print(f"Created account [bold]{output['account']}[/bold] (dialect {output['dialect']})")
    for mode in ("test", "live"):
        for kind in ("secret_key", "publishable_key"):
            label = f"{mode} {kind.replace('_', ' ')}:"
            out.print(f"  {label:<22}{output[mode][kind]}", markup=False)


TEST_HELPERS_ENV = "PAYKEEP_TEST_HELPERS"
TOKEN_ENV = "PAYKEEP_TEST_HELPERS_TOKEN"


def open_test_helpers(flag: bool, base_url: str) -> bool:
    """`serve --test-helpers` (or PAYKEEP_TEST_HELPERS=1): make sure the server's processes see the switch and
    a token (PAYKEEP_TEST_HELPERS_TOKEN, else a new random one) in their environment, where
    bootstrap.create_app reads them, and say where the path is and which token it wants. False: closed."""
    import os
    import secrets

    from rich.console import Console

    if not flag and os.environ.get(TEST_HELPERS_ENV, "").strip().lower() not in ("1", "true", "on", "yes"):
        return False
    given = os.environ.get(TOKEN_ENV, "").strip()
    token = given or "pkth_" + secrets.token_urlsafe(24)
    os.environ[TEST_HELPERS_ENV] = "1"
    os.environ[TOKEN_ENV] = token
    shown = f"the token in {TOKEN_ENV}" if given else token
    Console(soft_wrap=True).print(f"test helpers open: POST {base_url}/v1/test_helpers/accounts with "
                                  f"Authorization: Bearer {shown}", markup=False)
    return True
