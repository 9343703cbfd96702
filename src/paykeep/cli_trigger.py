"""`paykeep trigger EVENT`: make that event happen for real (API.md §11; the flows: testkit/triggers.py).

Against a running server with `--url` / `--api-key` (PAYKEEP_API_KEY), over HTTP; with neither, on the local
database (`--db` / `--key-file` as the other commands), through the same API in this process: the account's
webhook endpoints get the events from whichever process delivers webhooks for that database (`paykeep serve`
or `paykeep worker`, at once if one is running, else when one starts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_SERVER = "http://127.0.0.1:8420"


def register(app: typer.Typer) -> None:
    app.command("trigger")(trigger)


def trigger(
    event: Annotated[str | None, typer.Argument(
        help="The event to make happen, e.g. payment_intent.succeeded")] = None,
    list_events: Annotated[bool, typer.Option(
        "--list", help="List the events this command can make.")] = False,
    url: Annotated[str | None, typer.Option(
        "--url", help=f"A running paykeep (default with --api-key: {DEFAULT_SERVER})")] = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="PAYKEEP_API_KEY", show_envvar=True,
        help="The account's secret key (sk_test_…), for --url")] = None,
    dialect: Annotated[str | None, typer.Option(
        "--dialect", help="Make the requests in this dialect (wooshpay or stripe) instead of the account's")]
    = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="Without --url: sqlite:///path or postgresql://… (PAYKEEP_DATABASE_URL)")] = None,
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="Without --url: the master key file (PAYKEEP_KEY_FILE)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Make EVENT happen for real (the objects and the flow behind it) and print the ids it made, one
    `kind id` a line: the objects, then `event evt_…`. Against --url/--api-key, else the local database."""
    from paykeep.testkit import triggers
    from paykeep.testkit.commands import checked_dialect, fail

    if list_events:
        _print_list(as_json)
        return
    if not event:
        fail("name an event (`paykeep trigger --list` lists them)")
    if event not in triggers.events():
        fail(str(triggers.UnknownEvent(event)))
    chosen = checked_dialect(dialect)
    if url is not None or api_key is not None:
        if not api_key:
            fail("--url needs the account's secret key: --api-key sk_test_… (or PAYKEEP_API_KEY)")
        result = _run_remote(event, (url or DEFAULT_SERVER).rstrip("/"), api_key, chosen)
    else:
        result = _run_local(event, db, key_file, chosen)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
        return
    for kind, object_id in result.objects:
        sys.stdout.write(f"{kind} {object_id}\n")
    for event_id in result.event_ids:
        sys.stdout.write(f"event {event_id}\n")


def _print_list(as_json: bool) -> None:
    from paykeep.testkit import triggers

    names = triggers.events()
    if as_json:
        listed = [{"event": name, "description": triggers.describe(name)} for name in names]
        sys.stdout.write(json.dumps(listed) + "\n")
        return
    width = max(len(n) for n in names)
    for name in names:
        sys.stdout.write(f"{name:<{width}}  {triggers.describe(name)}\n")


def _run_remote(event: str, url: str, key: str, dialect: str | None) -> Any:
    from paykeep.testkit.http import UrllibTransport

    if not url.startswith(("http://", "https://")):
        from paykeep.testkit.commands import fail

        fail(f"--url must be an http:// or https:// URL, not {url!r}")
    return _run(event, UrllibTransport(), url, key, dialect)


def _run_local(event: str, db: str | None, key_file: Path | None, dialect: str | None) -> Any:
    from paykeep import bootstrap
    from paykeep.testkit.commands import local_test_key, open_runtime
    from paykeep.testkit.http import AsgiTransport

    runtime = open_runtime(db, key_file)
    try:
        key = local_test_key(runtime)
        transport = AsgiTransport(bootstrap.create_app(runtime, run_background=False))
        try:
            return _run(event, transport, "http://paykeep.local", key, dialect)
        finally:
            transport.close()
    finally:
        runtime.close()


def _run(event: str, transport: Any, url: str, key: str, dialect: str | None) -> Any:
    from paykeep.testkit import triggers
    from paykeep.testkit.commands import fail
    from paykeep.testkit.http import Unreachable

    api = triggers.Api(transport, url, key, dialect)
    try:
        return triggers.trigger(api, event)
    except (triggers.TriggerError, Unreachable) as exc:
        fail(f"{event}: {exc}")
