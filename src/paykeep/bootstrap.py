"""The composition root: builds the database, keyring, deps and the app from Settings. Nothing global."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from paykeep.adapters.clock import clock_from_env
from paykeep.adapters.db import migrate, outbox_signal, repository
from paykeep.adapters.db.engine import Database
from paykeep.adapters.db.unit_of_work import SqlUnitOfWork
from paykeep.adapters.vault.keyring import (
    Keyring,
    MasterKeyError,
    decode_master_key,
    generate_master_key,
    keys_stored,
    read_key_file,
    write_key_file,
)
from paykeep.config import Settings
from paykeep.domain.dialects import parse_dialect
from paykeep.domain.ids import IdFactory
from paykeep.placement import SLOTS_ENV, pin_to_free_cpu
from paykeep.services import accounts
from paykeep.services.ports import Clock, Deps


@dataclass
class Runtime:
    """Everything one paykeep process runs on."""

    settings: Settings
    db: Database
    keyring: Keyring
    deps: Deps
    wake_listeners: list[Callable[[], None]] = field(default_factory=list)
    # wakes the webhook workers of other processes after a commit (SQLite; adapters/db/outbox_signal.py)
    wake_others: Callable[[], None] | None = None

    def wake_outbox(self) -> None:
        for listener in list(self.wake_listeners):
            listener()
        if self.wake_others is not None:
            self.wake_others()

    def close(self) -> None:
        self.db.dispose()


def load_master_key(settings: Settings, *, create: bool) -> bytes:
    """PAYKEEP_MASTER_KEY, else the key file; `create` makes the file (0600) when neither exists."""
    if settings.master_key:
        return decode_master_key(settings.master_key)
    if settings.key_file.exists():
        return read_key_file(settings.key_file)
    if not create:
        raise MasterKeyError(
            f"no master key: {settings.key_file} does not exist and PAYKEEP_MASTER_KEY is not set. "
            "Run `paykeep init` first, or point --key-file / PAYKEEP_MASTER_KEY at the key."
        )
    key = generate_master_key()
    write_key_file(settings.key_file, key)
    return key


def _transaction_factory(db: Database) -> Callable[[bool], contextlib.AbstractContextManager[Any]]:
    @contextlib.contextmanager
    def transaction(write: bool) -> Iterator[SqlUnitOfWork]:
        with db.begin(write=write) as conn:
            yield SqlUnitOfWork(conn)

    return transaction


def _loop_read_factory(db: Database) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    @contextlib.contextmanager
    def transaction() -> Iterator[SqlUnitOfWork]:
        with db.read_on_loop() as conn:
            yield SqlUnitOfWork(conn)

    return transaction


def build_runtime(settings: Settings, *, initialise: bool = False, clock: Clock | None = None) -> Runtime:
    """Open the database and keys. With `initialise`, migrate and create what is missing (init/serve)."""
    repository.use_driver_selects(settings.fast_path)  # PAYKEEP_FAST_PATH=0: SQLAlchemy's own execution
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous,
                  pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                  sqlite_max_pages=settings.sqlite_max_pages)
    with migrate.exclusive(db) if initialise else contextlib.nullcontext():  # one initialiser at a time
        if initialise:
            migrate.upgrade(db)
        keyring = _open_keyring(settings, db, initialise=initialise)
    clock = clock or clock_from_env()  # PAYKEEP_CLOCK_OFFSET_MS shifts it (tests of timed jobs)
    deps = Deps(
        clock=clock,
        ids=IdFactory(now_ms=clock.now_ms),
        secrets=keyring,
        public_url=settings.base_url,
        transaction=_transaction_factory(db),
        inline_reads=_loop_read_factory(db) if db.is_sqlite else None,
    )
    runtime = Runtime(settings=settings, db=db, keyring=keyring, deps=deps,
                      wake_others=outbox_signal.after_commit_announcer(settings.database_url))
    deps.notify_outbox = runtime.wake_outbox
    _attach_slices(runtime)
    wire_services(deps)
    return runtime


def wire_services(deps: Deps) -> None:
    """What follows each domain event, in the transaction of the change, and the attempt strategy of each
    intent type: the services never import one another for these (no cycles, one place to read them)."""
    from paykeep.services import checkout_sessions, events, payment_intents_confirm, setup_intents

    deps.bus.on_every(events.record_event)  # the outbox: the event row and its webhook deliveries
    deps.bus.on("setup_intent.succeeded", checkout_sessions.on_setup_intent_succeeded)
    for paid in ("payment_intent.succeeded", "payment_intent.amount_capturable_updated"):
        deps.bus.on(paid, checkout_sessions.on_payment_intent_paid)
    deps.intent_flows = {
        setup_intents.FLOW.intent_type: setup_intents.FLOW,
        payment_intents_confirm.FLOW.intent_type: payment_intents_confirm.FLOW,
    }


def _open_keyring(settings: Settings, db: Database, *, initialise: bool) -> Keyring:
    try:
        master = load_master_key(settings, create=False)
    except MasterKeyError:
        if not initialise or keys_stored(db):
            raise
        master = load_master_key(settings, create=True)
    keyring = Keyring(db, master)
    if initialise:
        keyring.ensure()
    else:
        keyring.load()
    return keyring


def _attach_slices(runtime: Runtime) -> None:
    """Plug the adapters of each feature slice into the deps (card vault, card network, webhooks, ...)."""
    from paykeep.adapters.acquirer.simulated import SimulatedNetwork
    from paykeep.adapters.vault.card_vault import CardVault
    from paykeep.adapters.vault.passwords import ScryptHasher
    from paykeep.domain.webhook_urls import parse_networks

    runtime.deps.vault = CardVault(runtime.keyring)  # save-card: card numbers only as ciphertext
    runtime.deps.card_network = SimulatedNetwork()  # test mode; live mode has no processor connector yet

    runtime.deps.extras["passwords"] = ScryptHasher()  # dashboard sign-in
    # live-mode webhook destinations besides public addresses (checked at creation and at each attempt)
    runtime.deps.extras["webhook_allow_networks"] = parse_networks(runtime.settings.webhook_allow_networks)
    from paykeep.services.test_clocks import HOLD_AFTER  # testing only: stop advancing after N effects

    hold = os.environ.get("PAYKEEP_TEST_CLOCKS_HOLD_AFTER", "").strip()
    runtime.deps.extras[HOLD_AFTER] = int(hold) if hold.isdigit() else None


BackgroundStart = Callable[[Runtime], Any]  # async (runtime) -> async stop() | None


def background_tasks(runtime: Runtime) -> list[BackgroundStart]:
    """What `serve` runs in-process beside the API (unless --no-worker), and `paykeep worker` runs alone."""
    return [start_webhook_delivery, start_timed_jobs]


async def start_timed_jobs(runtime: Runtime) -> Any:
    """Periodic jobs (workers/timed_jobs.py), e.g. expiring authorizations left uncaptured for 7 days."""
    from paykeep.workers import timed_jobs

    return await timed_jobs.start(runtime.deps)


async def start_webhook_delivery(runtime: Runtime) -> Any:
    """The webhook worker (workers/outbox_dispatcher.py), woken by `Runtime.wake_outbox` after each commit."""
    from paykeep.adapters.webhooks.http_sender import HttpSender
    from paykeep.adapters.webhooks.signing import signature_headers
    from paykeep.domain.webhooks import DEFAULT_JITTER, RETRY_SCHEDULE
    from paykeep.workers.outbox_dispatcher import OutboxDispatcher

    s = runtime.settings
    custom = s.webhook_retry_delays is not None
    dispatcher = OutboxDispatcher(
        runtime.deps,
        HttpSender(s.webhook_timeout, allow_networks=runtime.deps.extras.get("webhook_allow_networks", ())),
        signature_headers,
        delays=s.webhook_retry_delays if custom else RETRY_SCHEDULE,  # type: ignore[arg-type]
        jitter=0.0 if custom else DEFAULT_JITTER, timeout=s.webhook_timeout,
        poll_interval=s.worker_poll_interval,
    )
    await dispatcher.start()
    runtime.wake_listeners.append(dispatcher.wake)
    # deliveries other processes write (see adapters/db/outbox_signal.py)
    listener = outbox_signal.listener_for(s.database_url, dispatcher.wake)

    async def stop() -> None:
        runtime.wake_listeners.remove(dispatcher.wake)
        if listener is not None:
            await asyncio.to_thread(listener.stop)
        await dispatcher.stop()

    return stop


def initialise(settings: Settings) -> tuple[Runtime, accounts.AccountKeys]:
    """`paykeep init`: migrate, create the keyring and the account if missing; return the keys."""
    runtime = build_runtime(settings, initialise=True)
    with migrate.exclusive(runtime.db):  # processes starting together on an empty database make one account
        dialect = parse_dialect(settings.dialect, param="dialect") if settings.dialect else None
        return runtime, accounts.ensure_account(runtime.deps, dialect=dialect)


def create_app(runtime: Runtime, *, run_background: bool | None = None) -> FastAPI:
    """The ASGI app; with `run_background` (default: settings.run_worker) the in-process worker runs too."""
    from paykeep.web.app import create_app as create_web_app

    background = runtime.settings.run_worker if run_background is None else run_background
    rate = float(os.environ.get("PAYKEEP_RATE_LIMIT", "0") or 0)
    from paykeep.services import request_logs  # every /v1 request recorded, unless PAYKEEP_REQUEST_LOGS=0

    request_log = request_logs.RequestLog(runtime.deps) if request_logs.enabled() else None
    app = create_web_app(runtime.deps, rate_limit=rate, fast_path=runtime.settings.fast_path,
                         extras={"runtime": runtime, "metrics_token": runtime.settings.metrics_token,
                                 "request_log": request_log})
    from paykeep.web import metrics

    metrics.instrument(app, runtime.db)
    helpers_token = test_helpers_token()
    if helpers_token is not None:  # serve --test-helpers: POST /v1/test_helpers/accounts (docs/decisions.md)
        from paykeep.web.api import test_helpers

        test_helpers.install(app, helpers_token)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(release_orphaned_keys, runtime)
        stops = []
        if request_log is not None:  # its flusher (stopped last: it writes what is left)
            stops.append(await request_log.start())
        if background:
            for start in background_tasks(runtime):
                stops.append(await start(runtime))
        forced = False
        try:
            yield
        except asyncio.CancelledError:  # a forced exit (a second Ctrl-C): uvicorn does not wait for the
            forced = True  # graceful stop, and its cancellation is no error to print a traceback for
        finally:
            for stop in reversed(stops) if not forced else ():
                if stop is not None:
                    await stop()

    app.router.lifespan_context = lifespan
    return app


def test_helpers_token() -> str | None:
    """The token of POST /v1/test_helpers/accounts when PAYKEEP_TEST_HELPERS=1 (`serve --test-helpers` sets it
    and PAYKEEP_TEST_HELPERS_TOKEN, making one if unset); None: the path does not exist (404)."""
    if os.environ.get("PAYKEEP_TEST_HELPERS", "").strip().lower() not in ("1", "true", "on", "yes"):
        return None
    return os.environ.get("PAYKEEP_TEST_HELPERS_TOKEN", "").strip() or None


def describe_failure(exc: BaseException) -> str | None:
    """One line for the operator about a database or master key that cannot be used (the CLI prints it and
    exits 2), or None when `exc` is something else."""
    from paykeep.adapters.db.engine import describe_failure as describe_database_failure

    if isinstance(exc, MasterKeyError):
        return str(exc)
    return describe_database_failure(exc)


def release_orphaned_keys(runtime: Runtime) -> None:
    """At start-up: Idempotency-Keys held by requests whose process died are free again (issue 17)."""
    import logging

    from paykeep.domain.errors import StorageUnavailable
    from paykeep.services import idempotency

    try:
        released = idempotency.release_orphaned(runtime.deps)
    except StorageUnavailable as exc:  # the storage refuses writes: they expire after STALE_RUNNING_MS
        logging.getLogger("paykeep").warning("could not release orphaned idempotency keys: %s", exc.reason)
        return
    if released:
        logging.getLogger("paykeep").info("released %d idempotency key(s) of requests that died with their "
                                          "process", released)


def dashboard_login(runtime: Runtime) -> dict[str, Any]:
    """The dashboard sign-in details for `init`; the password only on the run that created the admin."""
    from paykeep.services import dashboard_users

    login = dashboard_users.ensure_admin(runtime.deps)
    return {"url": runtime.settings.base_url + "/dashboard", "email": login.email, "password": login.password}


def export_settings(settings: Settings) -> None:
    """Hand settings to child processes (uvicorn --workers) through the environment."""
    os.environ["PAYKEEP_DATABASE_URL"] = settings.database_url
    os.environ["PAYKEEP_KEY_FILE"] = str(settings.key_file)
    if settings.public_url or settings.host:
        os.environ["PAYKEEP_PUBLIC_URL"] = settings.base_url
    os.environ["PAYKEEP_RUN_WORKER"] = "1" if settings.run_worker else "0"
    from paykeep.web.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir()  # the workers' request metrics add up in one /metrics


def app_from_env() -> FastAPI:
    """uvicorn factory for multi-process serving."""
    from paykeep.logs import configure_logging

    settings = Settings.from_env()
    if os.environ.get("PAYKEEP_RUN_WORKER") == "0":
        from dataclasses import replace

        settings = replace(settings, run_worker=False)
    configure_logging(settings.log_level)
    slots = os.environ.get(SLOTS_ENV)
    if slots:  # serve --pin-cpus
        pin_to_free_cpu(Path(slots))
    return create_app(build_runtime(settings))


def run_worker_forever(runtime: Runtime) -> None:
    """`paykeep worker`: the background tasks without the API."""
    import asyncio
    import signal

    async def main() -> None:
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_event.set)
        stops = [await start(runtime) for start in background_tasks(runtime)]
        await stop_event.wait()
        import logging

        logging.getLogger("paykeep.worker").info("stopping: finishing in-flight deliveries, releasing claims")
        for stop in reversed(stops):
            if stop is not None:
                await stop()

    asyncio.run(main())


def rotate_master_key(runtime: Runtime, new_key_file: Any = None) -> Any:
    """Re-wrap every data key under a fresh master key, written to `new_key_file`
    (default: replace the key file)."""
    from pathlib import Path

    new_key = generate_master_key()
    target = Path(new_key_file) if new_key_file else runtime.settings.key_file
    tmp = target.with_name(target.name + ".new")
    write_key_file(tmp, new_key)
    runtime.keyring.rewrap(new_key)
    tmp.replace(target)
    return target
