"""The `paykeep` command: init, serve, worker, keys, events, users, demo."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from paykeep.adapters.vault.keyring import MasterKeyError
from paykeep.config import DEFAULT_PORT, Settings
from paykeep.logs import configure_logging

app = typer.Typer(
    help="paykeep: a self-hosted WooshPay/Stripe-shaped payment API server.", no_args_is_help=True
)
keys_app = typer.Typer(help="Vault and master key operations.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(help="Dashboard users.", no_args_is_help=True)
app.add_typer(users_app, name="users")
events_app = typer.Typer(help="Events and webhook deliveries.", no_args_is_help=True)
app.add_typer(events_app, name="events")
account_app = typer.Typer(help="The account's settings.", no_args_is_help=True)
app.add_typer(account_app, name="account")
console = Console(stderr=True)
SHUTDOWN_GRACE_S = 30  # on SIGTERM, how long in-flight requests may take before connections are closed
_UVICORN: dict[str, Any] = {
    "log_config": None, "access_log": False, "timeout_graceful_shutdown": SHUTDOWN_GRACE_S,
}


def _http_protocol(settings: Settings) -> str:
    """One write per response (web/http_protocol.py) on top of httptools, which uvicorn[standard] brings;
    without httptools, uvicorn's own choice. PAYKEEP_HTTP_PROTOCOL (e.g. `httptools`, `h11`) overrides.
    PAYKEEP_FAST_PATH=0: the HTTP limits only, without the one-write wrapper (it leans on uvicorn's
    internals)."""
    chosen = os.environ.get("PAYKEEP_HTTP_PROTOCOL")
    if chosen:
        return chosen
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "auto"
    if not settings.fast_path:
        return "paykeep.web.http_protocol:LimitedHttpToolsProtocol"  # uvicorn's own, with the HTTP limits
    return "paykeep.web.http_protocol:CoalescingHttpToolsProtocol"


DbOpt = Annotated[
    str | None, typer.Option("--db", help="sqlite:///path or postgresql://… (PAYKEEP_DATABASE_URL)")
]
KeyFileOpt = Annotated[Path | None, typer.Option("--key-file", help="Master key file (PAYKEEP_KEY_FILE)")]
DialectOpt = Annotated[str | None, typer.Option(
    "--dialect", help="Make this the account's default dialect: wooshpay or stripe (PAYKEEP_DIALECT)")]


def _settings(**overrides: object) -> Settings:
    settings = Settings.from_env(**overrides)
    if settings.dialect is not None:
        _checked_dialect(settings.dialect)
    return settings


def _checked_dialect(value: str) -> Any:
    from paykeep.domain.dialects import NAMES, parse_dialect
    from paykeep.domain.errors import ParameterInvalid

    try:
        return parse_dialect(value, param="dialect")
    except ParameterInvalid:
        _fail(f"unknown dialect {value!r}: use one of {', '.join(NAMES)}")


def _fail(message: str) -> None:
    # soft_wrap: a long path stays on one line (copy-pasteable); the message is printed as text, not markup
    console.print("[red]error:[/red]", escape(message), soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def init(
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="The server's --public-url (PAYKEEP_PUBLIC_URL)")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="The server's --host, for its URLs")] = None,
    port: Annotated[
        int | None, typer.Option("--port", help=f"The server's --port, for its URLs (default {DEFAULT_PORT})")
    ] = None,
    dialect: DialectOpt = None,
) -> None:
    """Create or migrate the database and, if none exists, an account with test and live keys.

    Run it where `paykeep serve` runs (same directory, or the same --db / PAYKEEP_DATABASE_URL and key):
    elsewhere it creates a second database and account, whose keys that server does not know."""
    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file, public_url=public_url, host=host, port=port,
                         dialect=dialect)
    try:
        runtime, keys = bootstrap.initialise(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    output = keys.as_dict()
    output["dashboard"] = bootstrap.dashboard_login(runtime)
    runtime.close()
    output["server"] = server_urls(settings, port_known=port is not None or bool(settings.public_url))
    if as_json:
        sys.stdout.write(json.dumps(output) + "\n")
        return
    _print_keys(output, created=keys.created)


def server_urls(settings: Settings, *, port_known: bool) -> dict[str, object]:
    """The URLs of the server `init` describes. Without --port or a public URL, init cannot know which port
    `paykeep serve` was given: the URLs are then those of its default port, and `port_known` says so."""
    base = settings.base_url
    urls: dict[str, object] = {
        "url": base, "api": base + "/v1", "dashboard": base + "/dashboard", "openapi": base + "/openapi.json",
        "test_cards": base + "/test-cards", "port_known": port_known,
    }
    if not port_known:
        urls["note"] = (f"paykeep serve's default port ({DEFAULT_PORT}) assumed: give init the server's "
                        "--port, or --public-url / PAYKEEP_PUBLIC_URL, for the URLs of a server on another")
    return urls


def _print_keys(output: dict[str, object], *, created: bool) -> None:
    # soft_wrap: every line whole, whatever the terminal's width (or none): keys and the password are copied
    # from here, and a wrapped line copies with a line break in it.
    out = Console(soft_wrap=True)
    out.print(("Created" if created else "Found") + f" account [bold]{output['account']}[/bold]")
    test = output["test"]
    assert isinstance(test, dict)
    out.print(f"  test secret key:      {test['secret_key']}", markup=False)
    out.print(f"  test publishable key: {test['publishable_key']}", markup=False)
    dashboard = output.get("dashboard")
    if isinstance(dashboard, dict) and dashboard.get("password"):
        line = f"  dashboard: {dashboard['url']}  {dashboard['email']} / {dashboard['password']}"
        out.print(line, markup=False)
    server = output.get("server")
    if isinstance(server, dict) and not server.get("port_known"):
        out.print(f"  (URLs for port {DEFAULT_PORT}, serve's default; `paykeep init --port N` for another)",
                  markup=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = DEFAULT_PORT,
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help="Base of URLs handed out")] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not deliver webhooks in-process")
    ] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API processes (uvicorn workers)")] = 1,
    pin_cpus: Annotated[
        bool, typer.Option("--pin-cpus", help="Each API process on a CPU of its own (Linux)")
    ] = False,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips",
        help="Proxies (comma-separated addresses/CIDRs, or *) whose X-Forwarded-For/-Proto are believed; "
             "default: nobody (PAYKEEP_FORWARDED_ALLOW_IPS)")] = None,
    dialect: DialectOpt = None,
    test_helpers: Annotated[bool, typer.Option(
        "--test-helpers", help="Open POST /v1/test_helpers/accounts (fresh accounts for test suites, "
                               "behind a token it prints; never on a live deployment) "
                               "(PAYKEEP_TEST_HELPERS=1)")] = False,
) -> None:
    """Serve the API, the hosted pages and (unless --no-worker) webhook delivery.

    SIGTERM: stop accepting, let in-flight requests finish (up to 30 s), then stop the in-process
    delivery worker (it finishes its in-flight deliveries and releases its claims)."""
    from paykeep import bootstrap
    from paykeep.placement import SLOTS_ENV, pin_to_free_cpu

    settings = _settings(database_url=db, key_file=key_file, host=host, port=port, public_url=public_url,
                         run_worker=not no_worker, forwarded_allow_ips=forwarded_allow_ips, dialect=dialect)
    configure_logging(settings.log_level)
    try:
        runtime, keys = bootstrap.initialise(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        return
    output = keys.as_dict()
    output["dashboard"] = bootstrap.dashboard_login(runtime)
    _print_keys(output, created=keys.created)
    cli_accounts.open_test_helpers(test_helpers, settings.base_url)  # --test-helpers: token in the env
    sock = _bind(host, port)  # a port in use: one line and exit 2, before anything says "listening"
    Console().print(f"paykeep listening on [bold]{settings.base_url}[/bold] (API at {settings.base_url}/v1)")
    slots = _cpu_slots() if pin_cpus else None
    if workers > 1:
        runtime.close()
        bootstrap.export_settings(settings)
        if slots is not None:
            os.environ[SLOTS_ENV] = str(slots)  # each worker takes a CPU (bootstrap.app_from_env)
        _run_uvicorn(sock, "paykeep.bootstrap:app_from_env", factory=True, host=host, port=port,
                     workers=workers, http=_http_protocol(settings), **_UVICORN, **_http_limits(settings))
        return
    if slots is not None:
        pin_to_free_cpu(slots)
    _run_uvicorn(sock, bootstrap.create_app(runtime), host=host, port=port, http=_http_protocol(settings),
                 **_UVICORN, **_http_limits(settings))


class CliError(Exception):
    """A failure the user can fix (bad URL, port in use, unwritable directory): one line, exit status 2."""


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here (uvicorn is handed it), so that "listening" is true when printed."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)  # uvicorn's worker processes accept on it too
    return sock


def _run_uvicorn(sock: socket.socket, app_: Any, **options: Any) -> None:
    """uvicorn.run, on an already bound socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app_, **options)
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started and not server.should_exit:
        raise CliError("the server did not start (see the log lines above)")


def _http_limits(settings: Settings) -> dict[str, Any]:
    """uvicorn's share of the HTTP limits (web/http_protocol.py has the rest) and whom to believe about the
    client's address: X-Forwarded-* only from --forwarded-allow-ips (default nobody, not uvicorn's
    127.0.0.1)."""
    from paykeep.web.http_protocol import HttpLimits, LimitedHttpToolsProtocol

    LimitedHttpToolsProtocol.configure(HttpLimits.from_settings(settings))
    trusted = settings.forwarded_allow_ips.strip()
    return {"timeout_keep_alive": settings.http_keep_alive_timeout, "proxy_headers": bool(trusted),
            "forwarded_allow_ips": trusted or None,
            "h11_max_incomplete_event_size": settings.http_max_head_bytes}


def _cpu_slots() -> Path:
    """A directory of CPU slots for this server's processes, removed when it exits."""
    import atexit
    import shutil
    import tempfile

    slots = Path(tempfile.mkdtemp(prefix="paykeep-cpus-"))
    atexit.register(shutil.rmtree, slots, True)
    return slots


@app.command()
def worker(db: DbOpt = None, key_file: KeyFileOpt = None) -> None:
    """Deliver webhooks (and run timed jobs) only; run any number beside `serve --no-worker`."""
    from paykeep import bootstrap

    settings = _settings(database_url=db, key_file=key_file)
    configure_logging(settings.log_level)
    bootstrap.run_worker_forever(_open_runtime(settings))


@keys_app.command("rotate")
def keys_rotate(
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    master: Annotated[
        bool, typer.Option("--master", help="Re-wrap data keys under a new master key")
    ] = False,
    new_key_file: Annotated[
        Path | None, typer.Option("--new-key-file", help="Where to write the new master key")
    ] = None,
) -> None:
    """New data-key version for new cards (old cards still decrypt); with --master, rotate the master key."""
    from paykeep import bootstrap

    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    if master:
        target = bootstrap.rotate_master_key(runtime, new_key_file)
        console.print(f"master key rotated; new key written to {target}")
    else:
        version = runtime.keyring.rotate("data")
        console.print(f"data key rotated: new cards use version {version}")
    runtime.close()


def _open_runtime(settings: Settings):  # -> bootstrap.Runtime (imported lazily)
    """The runtime of an initialised database; a wrong or missing master key exits 2 with a clear error."""
    from paykeep import bootstrap

    try:
        return bootstrap.build_runtime(settings)
    except MasterKeyError as exc:
        _fail(str(exc))
        raise


PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")]


def _read_password_stdin(enabled: bool) -> str | None:
    if not enabled:
        return None
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _set_password(action: Callable[[Any, str, str | None], str], email: str, db: str | None,
                  key_file: Path | None, password_stdin: bool, done: str) -> None:
    """users add / reset-password: run `action`, print `done`, and the password if it was generated."""
    from paykeep.domain.errors import PaykeepError
    from paykeep.services import dashboard_users

    given = _read_password_stdin(password_stdin)
    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    try:
        password = action(runtime.deps, email, given)
    except PaykeepError as exc:
        _fail(exc.message)
        return
    finally:
        runtime.close()
    out = Console(soft_wrap=True)  # the password on one line, whatever the terminal (see _print_keys)
    out.print(done.format(who=dashboard_users.normalise_email(email)))
    if given is None:
        out.print(f"  password: {password}")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The new user's email (their sign-in name)")],
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Add a dashboard user; prints a generated password unless --password-stdin gives one."""
    from paykeep.services import dashboard_users

    _set_password(dashboard_users.add_user, email, db, key_file, password_stdin,
                  "added dashboard user [bold]{who}[/bold]")


@users_app.command("reset-password")
def users_reset_password(
    email: Annotated[str, typer.Argument(help="The user's email")],
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Set a new password (generated unless --password-stdin) and end the user's sessions."""
    from paykeep.services import dashboard_users

    _set_password(dashboard_users.reset_password, email, db, key_file, password_stdin,
                  "password changed for [bold]{who}[/bold]; its sessions ended")


@account_app.command("set")
def account_set(
    dialect: Annotated[str, typer.Option("--dialect", help="The default dialect: wooshpay or stripe")],
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Change the account's settings: --dialect is what requests without a Paykeep-Dialect header speak."""
    from paykeep.services import accounts

    chosen = _checked_dialect(dialect)
    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    try:
        account_id = accounts.set_dialect(runtime.deps, chosen)
    finally:
        runtime.close()
    Console().print(f"account {account_id}: default dialect [bold]{chosen.value}[/bold]")


@account_app.command("show")
def account_show(db: DbOpt = None, key_file: KeyFileOpt = None) -> None:
    """Print the account's id and settings as one JSON object."""
    from paykeep.services import accounts

    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    try:
        settings = accounts.account_settings(runtime.deps)
    finally:
        runtime.close()
    sys.stdout.write(json.dumps(settings) + "\n")


@users_app.command("list")
def users_list(db: DbOpt = None, key_file: KeyFileOpt = None) -> None:
    """List dashboard users."""
    from paykeep.services import dashboard_users

    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    try:
        for user in dashboard_users.list_users(runtime.deps):
            sys.stdout.write(f"{user['email']}\t{user['role']}\t{user['id']}\n")
    finally:
        runtime.close()


@events_app.command("resend")
def events_resend(
    event_id: Annotated[str, typer.Argument(help="The event to deliver again (evt_…)")],
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only to this endpoint (we_…)")] = None,
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Queue the event again (same id, same payload) for its subscribed endpoints, or one --endpoint."""
    from paykeep.domain.errors import PaykeepError
    from paykeep.services import deliveries

    runtime = _open_runtime(_settings(database_url=db, key_file=key_file))
    try:
        queued = deliveries.resend_event(runtime.deps, event_id, endpoint)
    except PaykeepError as exc:
        _fail(exc.message)
        return
    finally:
        runtime.close()
    if not queued:
        console.print(f"{event_id}: no enabled endpoint is subscribed to it; nothing queued")
    for item in queued:
        sys.stdout.write(f"queued {item['delivery']} {event_id} -> {item['endpoint']} {item['url']}\n")


@app.command()
def demo(
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="A running paykeep (default: start one)")
    ] = None,
    key: Annotated[str | None, typer.Option("--key", help="Its test secret key (with --base-url)")] = None,
    dialect: Annotated[str, typer.Option(
        "--dialect", help="wooshpay (raw HTTP) or stripe (the official stripe Python package)")] = "wooshpay",
) -> None:
    (
        "Run the seed guide end to end: save cards (with and without 3-D Secure), "
        "charge them later, webhooks."
    )
    from paykeep.demo.main import DIALECTS, run_demo

    chosen = dialect.strip().lower()
    if chosen not in DIALECTS:
        _fail(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    raise typer.Exit(run_demo(base_url, key, dialect=chosen))


from paykeep import cli_logs  # noqa: E402 - its commands join `app` here

cli_logs.register(app)


from paykeep import cli_accounts  # noqa: E402 - `accounts create`, serve --test-helpers (issue 16)

cli_accounts.register(app)


from paykeep import cli_trigger  # noqa: E402 - `paykeep trigger EVENT` (issue 16)

cli_trigger.register(app)


from paykeep import cli_listen  # noqa: E402 - `paykeep listen --forward-to URL` (issue 16)

cli_listen.register(app)


def main() -> None:
    """Every command's failures in one place: what the user can fix is one line on stderr and exit status 2
    (no traceback; PAYKEEP_DEBUG=1 shows one); Ctrl-C, once or twice, exits quietly."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.flush()
        os._exit(130)  # quietly, also from a second Ctrl-C in the middle of shutting down
    except Exception as exc:
        if os.environ.get("PAYKEEP_DEBUG") == "1":
            raise
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        sys.stderr.flush()
        sys.exit(2)


def _one_line(exc: BaseException) -> str:
    """What went wrong, in one line, without SQL, tracebacks or passwords."""
    from paykeep.bootstrap import describe_failure
    from paykeep.domain.errors import PaykeepError

    text = describe_failure(exc)  # the database's and the key's failures (bootstrap knows the adapters)
    if text is not None:
        pass
    elif isinstance(exc, CliError):
        text = str(exc)
    elif isinstance(exc, PaykeepError):
        text = exc.message
    elif isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror or type(exc).__name__}{where}"
    else:
        text = f"unexpected {type(exc).__name__}: {_first_line(exc)} (PAYKEEP_DEBUG=1 shows the traceback)"
    return " ".join(text.split())


def _first_line(exc: BaseException | None) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    main()
