"""Settings, read once from environment variables prefixed SERVICEBANK_."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from functools import lru_cache
from pathlib import Path

DEV_SECRET = "dev-only-secret-change-me"
EMBEDDED = "embedded"
PRODUCTION = "production"


class SettingsError(RuntimeError):
    """Raised when the configuration would be unsafe or cannot work."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SERVICEBANK_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    # A typo must not silently mean "off" (SECURE_COOKIES, DB_PRE_PING...).
    raise SettingsError(f"SERVICEBANK_{name} must be true or false (also 1/0, yes/no, on/off), got {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"SERVICEBANK_{name} must be a whole number, got {raw!r}") from exc


def _env_list(name: str) -> tuple[str, ...] | None:
    """A comma-separated list; None when the variable is not set at all."""
    raw = _env(name)
    return None if raw is None else tuple(p.strip() for p in raw.split(",") if p.strip())


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the processes need to know; embedded defaults unless told otherwise."""

    mode: str = EMBEDDED
    database_url: str = "sqlite+aiosqlite:///./servicebank.db"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
    # Key for encrypting ID numbers at rest; derived from secret_key when not set.
    data_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    qr_rotation_seconds: int = 30
    outbox_sweep_after_seconds: int = 30
    outbox_batch_size: int = 500
    db_pool_size: int = 10
    # Ping each pooled connection before use (three round trips with asyncpg); see db.make_engine.
    db_pre_ping: bool = False
    debug: bool = False
    # Embedded mode runs the Dramatiq worker inside the API process.
    embedded_worker: bool = True
    # Send events to the broker after commit; tests switch it off and drain the outbox themselves.
    publish_events: bool = True
    secure_cookies: bool = False
    max_upload_bytes: int = 20 * 1024 * 1024
    smtp_url: str | None = None
    # One JSON object per log line (production default) instead of plain text.
    json_logs: bool = False
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the real client; the
    # login and scan limits count per client address, so behind nginx this must be set.
    trusted_proxies: tuple[str, ...] = ()
    # Who may read /metrics: addresses or networks (None: loopback only in production, anyone embedded),
    # and/or a bearer token a scraper sends.
    metrics_allow: tuple[str, ...] | None = None
    metrics_token: str | None = None

    @property
    def is_production(self) -> bool:
        return self.mode == PRODUCTION

    @property
    def metrics_networks(self) -> tuple[str, ...]:
        """The addresses /metrics answers (besides a scraper with the token)."""
        if self.metrics_allow is not None:
            return self.metrics_allow
        return ("127.0.0.1", "::1") if self.is_production else ("0.0.0.0/0", "::/0")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    def validate(self) -> "Settings":
        """Refuse settings that are unsafe in production or cannot work at all."""
        if self.mode not in {EMBEDDED, PRODUCTION}:
            raise SettingsError(f"SERVICEBANK_MODE must be '{EMBEDDED}' or '{PRODUCTION}', got {self.mode!r}")
        if self.is_production:
            if not self.secret_key or self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "Production mode needs SERVICEBANK_SECRET_KEY set to a random value of at least 32 "
                    "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
                )
            if not self.is_postgres:
                raise SettingsError("Production mode needs SERVICEBANK_DATABASE_URL pointing at PostgreSQL.")
            if not self.redis_url:
                raise SettingsError("Production mode needs SERVICEBANK_REDIS_URL (queue and leaderboards).")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"SERVICEBANK_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
                                    "(e.g. 127.0.0.1,10.0.0.0/8)") from exc
        bad = [a for a in self.metrics_allow or () if not _is_network(a)]
        if bad:
            raise SettingsError(f"SERVICEBANK_METRICS_ALLOW: {bad[0]!r} is not an IP address or network "
                                "(e.g. 127.0.0.1,10.1.2.0/24)")
        return self

    @classmethod
    def from_env(cls) -> "Settings":
        """Build settings from SERVICEBANK_* variables."""
        mode = _env("MODE", EMBEDDED) or EMBEDDED
        production = mode == PRODUCTION
        data_dir = Path(_env("DATA_DIR", ".") or ".")
        default_db = f"sqlite+aiosqlite:///{data_dir / 'servicebank.db'}"
        host = _env("HOST", "127.0.0.1") or "127.0.0.1"
        port = _env_int("PORT", 8000)
        return cls(
            mode=mode,
            database_url=_env("DATABASE_URL", default_db) or default_db,
            redis_url=_env("REDIS_URL") or None,
            secret_key=_env("SECRET_KEY", DEV_SECRET) or "",
            data_key=_env("DATA_KEY") or None,
            host=host,
            port=port,
            public_url=_env("PUBLIC_URL", f"http://{host}:{port}") or f"http://{host}:{port}",
            timezone=_env("TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai",
            qr_rotation_seconds=_env_int("QR_ROTATION_SECONDS", 30),
            outbox_sweep_after_seconds=_env_int("OUTBOX_SWEEP_AFTER_SECONDS", 30),
            outbox_batch_size=_env_int("OUTBOX_BATCH_SIZE", 500),
            db_pool_size=_env_int("DB_POOL_SIZE", 10),
            db_pre_ping=_env_bool("DB_PRE_PING", False),
            debug=_env_bool("DEBUG", False),
            embedded_worker=_env_bool("EMBEDDED_WORKER", not production),
            publish_events=_env_bool("PUBLISH_EVENTS", True),
            secure_cookies=_env_bool("SECURE_COOKIES", production),
            max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
            smtp_url=_env("SMTP_URL") or None,
            json_logs=_env_bool("JSON_LOGS", production),
            trusted_proxies=tuple(p.strip() for p in (_env("TRUSTED_PROXIES") or "").split(",") if p.strip()),
            metrics_allow=_env_list("METRICS_ALLOW"),
            metrics_token=_env("METRICS_TOKEN") or None,
        )

    def replace(self, **changes: object) -> "Settings":
        return dataclasses.replace(self, **changes)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings.from_env().validate()
