"""Settings: command-line flags over environment variables (PAYKEEP_*) over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_PORT = 8420


def normalise_db_url(url: str) -> str:
    """Accept `sqlite:///path`, a bare file path, or `postgresql://…` (psycopg 3 driver)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def _delays(raw: str | None) -> tuple[float, ...] | None:
    if not raw:
        return None
    return tuple(float(part) for part in raw.split(",") if part.strip())


def fast_path_from_env() -> bool:
    """PAYKEEP_FAST_PATH: on unless 0 / false / off / no."""
    return os.environ.get("PAYKEEP_FAST_PATH", "1").strip().lower() not in ("0", "false", "off", "no")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///paykeep.db"
    key_file: Path = Path("paykeep.key")
    master_key: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None
    run_worker: bool = True
    webhook_retry_delays: tuple[float, ...] | None = None
    webhook_timeout: float = 15.0
    worker_poll_interval: float = 0.5  # seconds between a webhook worker's looks for due deliveries
    sqlite_synchronous: str = "FULL"
    sqlite_max_pages: int | None = None  # a size cap for the SQLite file (4 KiB pages); reached = "disk full"
    log_level: str = "info"
    secure_cookies: bool | None = None
    db_pool_size: int = 5  # PostgreSQL connections kept per process
    db_max_overflow: int = 10  # extra connections a process may open under load
    metrics_token: str | None = field(default=None, repr=False)  # when set, /metrics wants this bearer token
    # The fast path (docs/deployment.md): the front door, the one-write HTTP protocol, ApiRoute's direct call
    # and SQLite reads straight on the driver, which lean on private internals of uvicorn, Starlette, FastAPI
    # and SQLAlchemy. PAYKEEP_FAST_PATH=0: their stock paths instead: the same answers, slower (GETs ~2x).
    fast_path: bool = True
    # Where live-mode webhooks may go besides public addresses: CIDRs, comma-separated (webhook_urls.py)
    webhook_allow_networks: str = ""
    # HTTP limits (web/http_protocol.py): head size, time for a head and for a body, idle keep-alive, and
    # open connections per process (beyond it: 503 and close)
    http_max_head_bytes: int = 32 * 1024
    http_head_timeout: float = 10.0
    http_body_timeout: float = 30.0
    http_keep_alive_timeout: float = 5.0
    http_max_connections: int = 1000
    forwarded_allow_ips: str = ""  # proxies whose X-Forwarded-For/-Proto are believed; "" trusts nobody
    # init/serve --dialect, PAYKEEP_DIALECT: made the account's default dialect at start-up (None: keep it)
    dialect: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        base = cls(
            database_url=normalise_db_url(env.get("PAYKEEP_DATABASE_URL", "sqlite:///paykeep.db")),
            key_file=Path(env.get("PAYKEEP_KEY_FILE", "paykeep.key")),
            master_key=env.get("PAYKEEP_MASTER_KEY") or None,
            public_url=env.get("PAYKEEP_PUBLIC_URL") or None,
            webhook_retry_delays=_delays(env.get("PAYKEEP_WEBHOOK_RETRY_DELAYS")),
            webhook_timeout=float(env.get("PAYKEEP_WEBHOOK_TIMEOUT", "15")),
            worker_poll_interval=min(max(float(env.get("PAYKEEP_WORKER_POLL_INTERVAL", "0.5")), 0.05), 60.0),
            sqlite_synchronous=env.get("PAYKEEP_SQLITE_SYNCHRONOUS", "FULL").upper(),
            sqlite_max_pages=int(env.get("PAYKEEP_SQLITE_MAX_PAGES") or 0) or None,
            log_level=env.get("PAYKEEP_LOG_LEVEL", "info"),
            db_pool_size=int(env.get("PAYKEEP_DB_POOL_SIZE", "5")),
            db_max_overflow=int(env.get("PAYKEEP_DB_MAX_OVERFLOW", "10")),
            metrics_token=env.get("PAYKEEP_METRICS_TOKEN") or None,
            fast_path=fast_path_from_env(),
            webhook_allow_networks=env.get("PAYKEEP_WEBHOOK_ALLOW_NETWORKS", ""),
            http_max_head_bytes=int(env.get("PAYKEEP_HTTP_MAX_HEAD_BYTES", str(32 * 1024))),
            http_head_timeout=float(env.get("PAYKEEP_HTTP_HEAD_TIMEOUT", "10")),
            http_body_timeout=float(env.get("PAYKEEP_HTTP_BODY_TIMEOUT", "30")),
            http_keep_alive_timeout=float(env.get("PAYKEEP_HTTP_KEEP_ALIVE_TIMEOUT", "5")),
            http_max_connections=int(env.get("PAYKEEP_HTTP_MAX_CONNECTIONS", "1000")),
            forwarded_allow_ips=env.get("PAYKEEP_FORWARDED_ALLOW_IPS", ""),
            dialect=env.get("PAYKEEP_DIALECT") or None,
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "database_url" in clean:
            clean["database_url"] = normalise_db_url(str(clean["database_url"]))
        if "key_file" in clean:
            clean["key_file"] = Path(str(clean["key_file"]))
        return replace(base, **clean)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
