"""The `paykeep` command: init, serve, worker, keys, events, users, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paykeep.adapters.vault.keyring import MasterKeyError
from paykeep.config import DEFAULT_PORT, Settings
from paykeep.logs import configure_logging

app = typer.Typer(help="paykeep: a self-hosted WooshPay/Stripe-shaped payment API server.", no_args_is_help=True)
keys_app = typer.Typer(help="Vault and master key operations.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="sqlite:///path or postgresql://… (PAYKEEP_DATABASE_URL)")]
KeyFileOpt = Annotated[Path | None, typer.Option("--key-file", help="Master key file (PAYKEEP_KEY_FILE)")]


def _settings(**overrides: object) -> Settings:
    return Settings.from_env(**overrides)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@app.command()
def init(
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    public_url: Annotated[str | None, typer.Option("--public-url")] = None,
) -> None:
    """Create or migrate the database and, if none exists, an account with test and live keys."""
    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file, public_url=public_url)
    try:
        runtime, keys = bootstrap.initialise(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    output = keys.as_dict()
    output["dashboard"] = bootstrap.dashboard_login(runtime)
    runtime.close()
    if as_json:
        sys.stdout.write(json.dumps(output) + "\n")
        return
    _print_keys(output, created=keys.created)


def _print_keys(output: dict[str, object], *, created: bool) -> None:
    out = Console()
    out.print(("Created" if created else "Found") + f" account [bold]{output['account']}[/bold]")
    test = output["test"]
    assert isinstance(test, dict)
    out.print(f"  test secret key:      {test['secret_key']}")
    out.print(f"  test publishable key: {test['publishable_key']}")
    dashboard = output.get("dashboard")
    if isinstance(dashboard, dict) and dashboard.get("password"):
        out.print(f"  dashboard: {dashboard['url']}  {dashboard['email']} / {dashboard['password']}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = DEFAULT_PORT,
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help="Base of URLs handed out")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not deliver webhooks in-process")] = False,
    workers: Annotated[int, typer.Option("--workers", help="API processes")] = 1,
) -> None:
    """Serve the API, the hosted pages and (unless --no-worker) webhook delivery."""
    import uvicorn

    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file, host=host, port=port, public_url=public_url,
                         run_worker=not no_worker)
    configure_logging(settings.log_level)
    try:
        runtime, keys = bootstrap.initialise(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    output = keys.as_dict()
    output["dashboard"] = bootstrap.dashboard_login(runtime)
    _print_keys(output, created=keys.created)
    Console().print(f"paykeep listening on [bold]{settings.base_url}[/bold] (API at {settings.base_url}/v1)")
    if workers > 1:
        runtime.close()
        bootstrap.export_settings(settings)
        uvicorn.run("paykeep.bootstrap:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_config=None, access_log=False)
        return
    uvicorn.run(bootstrap.create_app(runtime), host=host, port=port, log_config=None, access_log=False)


@app.command()
def worker(db: DbOpt = None, key_file: KeyFileOpt = None) -> None:
    """Deliver webhooks (and run timed jobs) only; run any number beside `serve --no-worker`."""
    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file)
    configure_logging(settings.log_level)
    try:
        runtime = bootstrap.build_runtime(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    bootstrap.run_worker_forever(runtime)


@keys_app.command("rotate")
def keys_rotate(
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    master: Annotated[bool, typer.Option("--master", help="Re-wrap data keys under a new master key")] = False,
    new_key_file: Annotated[Path | None, typer.Option("--new-key-file", help="Where to write the new master key")] = None,
) -> None:
    """New data-key version for new cards (old cards still decrypt); with --master, rotate the master key."""
    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file)
    try:
        runtime = bootstrap.build_runtime(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    if master:
        target = bootstrap.rotate_master_key(runtime, new_key_file)
        console.print(f"master key rotated; new key written to {target}")
    else:
        version = runtime.keyring.rotate("data")
        console.print(f"data key rotated: new cards use version {version}")
    runtime.close()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
