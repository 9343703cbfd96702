"""`paykeep logs tail`: the API's request logs (services/request_logs.py), newest last, and followed."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

logs_app = typer.Typer(help="The API's request logs (kept 7 days).", no_args_is_help=True)
FOLLOW_LOOKBACK_MS = 10_000  # records reach the table up to a flush late, from several processes


def register(app: typer.Typer) -> None:
    app.add_typer(logs_app, name="logs")


def _fail(message: str) -> NoReturn:
    """As the other commands fail: one line on stderr, exit status 2 (paykeep.cli is not imported here: the
    import graph has no cycle, tests/unit/test_import_graph.py)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _open_runtime(db: str | None, key_file: Path | None) -> Any:  # -> bootstrap.Runtime
    from paykeep import bootstrap
    from paykeep.config import Settings

    try:
        return bootstrap.build_runtime(Settings.from_env(database_url=db, key_file=key_file))
    except Exception as exc:
        described = bootstrap.describe_failure(exc)  # a missing or wrong master key, an unusable database
        if described is None:
            raise
        _fail(described)


def line(row: dict[str, Any]) -> str:
    """One record as one line: time, status, method, path, request id, latency, mode, key, object ids."""
    when = datetime.fromtimestamp(row["created"] / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    mode = "-" if row["livemode"] is None else ("live" if row["livemode"] else "test")
    parts = [when, str(row["status"]), row["method"], row["path"], row["id"], f"{row['latency_ms']:.1f}ms",
             mode]
    if row["idempotency_key"]:
        parts.append(f"idempotency_key={row['idempotency_key']}")
    if row["object_ids"]:
        parts.append(row["object_ids"].replace(" ", ","))
    return "  ".join(parts)


def as_json(row: dict[str, Any]) -> str:
    out = dict(row)
    out["object_ids"] = row["object_ids"].split()
    for name in ("params", "response_body"):
        with contextlib.suppress(ValueError):  # a body cut after 16 KB, or not JSON: as stored
            out[name] = json.loads(row[name]) if row[name] else row[name]
    return json.dumps(out, ensure_ascii=False)


StatusOpt = Annotated[str | None, typer.Option("--status", help="2xx, 4xx, 5xx or an exact status (402)")]
PathOpt = Annotated[str | None, typer.Option("--path", help="Path prefix: /v1/customers (or customers)")]
ObjectOpt = Annotated[str | None, typer.Option("--object", help="Requests that named this id")]
AccountOpt = Annotated[str | None, typer.Option("--account", help="Only this account (acct_…)")]
ModeOpt = Annotated[str | None, typer.Option("--mode", help="Only test or live requests")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many to print first")]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new requests (Ctrl-C ends)")]
IntervalOpt = Annotated[float, typer.Option("--interval", min=0.05, help="Seconds between polls (--follow)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line, bodies included")]
DbOpt = Annotated[str | None, typer.Option("--db", help="The database URL (PAYKEEP_DATABASE_URL)")]
KeyFileOpt = Annotated[Path | None, typer.Option("--key-file", help="Master key file (PAYKEEP_KEY_FILE)")]


@logs_app.command("tail")
def tail(status: StatusOpt = None, path: PathOpt = None, object_id: ObjectOpt = None,
         account: AccountOpt = None, mode: ModeOpt = None, limit: LimitOpt = 20, follow: FollowOpt = False,
         interval: IntervalOpt = 0.5, json_lines: JsonOpt = False, db: DbOpt = None,
         key_file: KeyFileOpt = None) -> None:
    """Print the last requests (oldest first), then with --follow each new one as it is recorded."""
    from paykeep.domain.errors import ParameterInvalid
    from paykeep.services import request_logs

    if mode is not None and mode.strip().lower() not in ("test", "live"):
        _fail(f"unknown mode {mode!r}: use test or live")
    try:
        wanted = request_logs.filters(status, path, object_id)
    except ParameterInvalid as exc:
        _fail(exc.message)
    if account:
        wanted["account_id"] = account.strip()
    if mode is not None:
        wanted["livemode"] = mode.strip().lower() == "live"
    show = as_json if json_lines else line
    runtime = _open_runtime(db, key_file)
    try:
        rows = request_logs.recent(runtime.deps, None, limit, **wanted)
        for row in rows:
            sys.stdout.write(show(row) + "\n")
        sys.stdout.flush()
        if not follow:
            return
        seen = {row["id"]: row["created"] for row in rows}
        newest = max(seen.values(), default=runtime.deps.clock.now_ms())
        try:
            while True:
                time.sleep(interval)
                for row in request_logs.since(runtime.deps, None, newest - FOLLOW_LOOKBACK_MS, **wanted):
                    if row["id"] in seen:
                        continue
                    seen[row["id"]] = row["created"]
                    newest = max(newest, row["created"])
                    sys.stdout.write(show(row) + "\n")
                sys.stdout.flush()
                horizon = newest - 2 * FOLLOW_LOOKBACK_MS  # forget what can no longer come back
                seen = {rid: created for rid, created in seen.items() if created >= horizon}
        except KeyboardInterrupt:
            return
    finally:
        runtime.close()
