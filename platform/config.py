"""Settings, read once from environment variables prefixed SERVICEBANK_."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from servicebank import keyring
from servicebank.kernel import redis_clients
from servicebank.sms_settings import SmsSettings, SmsSettingsError

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


def _env_number(name: str, default: float, parse: Callable[[str], Any], what: str) -> Any:
    raw = _env(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"SERVICEBANK_{name} must be {what}, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int, "a whole number"))


def _env_float(name: str, default: float) -> float:
    return float(_env_number(name, default, float, "a number of seconds (e.g. 2.5)"))


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
    # Signs kiosk codes, cards, redemption codes and feed links; embedded mode makes its own (keyring.py).
    secret_key: str = ""
    # Encrypts ID numbers at rest; never the signing key.
    data_key: str | None = None
    # Rotated signing keys: still accepted (never used to sign) until their accept_until.
    previous_secret_keys: tuple[keyring.RetiredKey, ...] = ()
    # Rotated data keys: decrypt ID numbers not yet re-encrypted under data_key.
    previous_data_keys: tuple[str, ...] = ()
    # Keys ID numbers were encrypted with before each install had its own data key (old `v1:` values only).
    legacy_data_keys: tuple[str, ...] = ()
    # The embedded keys file these keys came from; None when they come from the environment.
    keys_file: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"
    qr_rotation_seconds: int = 30
    # How long a kiosk scan is honoured through the login that follows it (web/scan_pass.py).
    scan_pass_seconds: int = 600
    # How long a short redemption code (6 digits, stores/short_codes.py) stays valid.
    redemption_code_seconds: int = 600
    outbox_sweep_after_seconds: int = 30
    outbox_batch_size: int = 500
    # How long the API gathers the event ids its requests commit before sending them as one message (0: each
    # request sends its own; kernel/publish_gather.py).
    outbox_gather_ms: int = 50
    # How long an idle worker consumer sleeps at most between looks at its queue (Dramatiq's worker timeout).
    worker_poll_ms: int = 100
    db_pool_size: int = 10
    # After start-up, keep what starting made out of the garbage collector's walks (kernel/collector.py).
    freeze_startup_heap: bool = True
    # With the freeze, the youngest generation's collection threshold (Python's default is 700; 0 keeps it).
    gc_young_threshold: int = 20_000
    # A PostgreSQL streaming replica for reads that may be a moment old (台账, dashboard, exports, public pages);
    # kernel/replica.py says when reads fall back to the primary.
    database_replica_url: str | None = None
    replica_max_lag_seconds: float = 5.0
    replica_retry_seconds: float = 10.0
    # After a write, the writer's reads stay on the primary this long (they must see what they just did).
    replica_sticky_seconds: int = 10
    # The database URL points at PgBouncer in transaction mode (1.18 and later, which keep no prepared statements
    # across transactions): statements are prepared unnamed or under unique names, never cached per connection.
    db_pgbouncer: bool = False
    # Where the scheduler holds its leadership lock: a session-level advisory lock needs one server connection
    # for as long as it leads, which transaction pooling cannot give; PostgreSQL itself or a session-mode pool.
    scheduler_database_url: str | None = None
    # Ping each pooled connection before use (three round trips with asyncpg); see db.make_engine.
    db_pre_ping: bool = False
    debug: bool = False
    # Embedded mode runs the Dramatiq worker inside the API process.
    embedded_worker: bool = True
    # Send events to the broker after commit; tests switch it off and drain the outbox themselves.
    publish_events: bool = True
    secure_cookies: bool = False
    max_upload_bytes: int = 20 * 1024 * 1024
    # Where embedded mode keeps its database, keys and files; late claims' photos go under it unless evidence_dir
    # names another directory (production: a persistent, backed-up one).
    data_dir: str = "."
    evidence_dir: str | None = None
    # A late claim (补录) for a service that ended longer ago is refused: records must be timely.
    claim_max_age_days: int = 30
    # Each evidence photo of a late claim is at most this big.
    claim_photo_max_bytes: int = 5 * 1024 * 1024
    smtp_url: str | None = None
    # Text messages: provider, gateway, templates, limits, quiet hours (sms_settings.py, docs/notifications.md).
    sms: SmsSettings = SmsSettings()
    # Web Push: this install's VAPID key (PEM; embedded mode makes its own, keyring.py) and the contact pushed
    # messages name (mailto: or https:). Without a key the push channel is off.
    vapid_private_key: str | None = None
    vapid_subject: str | None = None
    # One JSON object per log line (production default) instead of plain text.
    json_logs: bool = False
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the real client; the
    # login and scan limits count per client address, so behind nginx this must be set.
    trusted_proxies: tuple[str, ...] = ()
    # Who may read /metrics: addresses or networks (None: loopback only in production, anyone embedded),
    # and/or a bearer token a scraper sends.
    metrics_allow: tuple[str, ...] | None = None
    metrics_token: str | None = None
    # Anonymous repeats of a public read (leaderboard, honour list, a community's page) are answered from memory
    # for this long, per process (edge/public_reads.py, web/public_pages.py); 0 switches it off (the tests, which
    # read back what they just wrote).
    public_read_cache_seconds: float = 1.0
    # A login's Principal is kept per API process at most this long (accounts/principal_cache.py): forgotten at once
    # in every process when anything it was built from changes (logout, password, grants, account state). Needs
    # Redis; 0 switches it off.
    principal_cache_seconds: float = 30.0
    # Monthly leaderboards Redis keeps, counting the current month; older months are read from the kept SQL
    # totals (leaderboards/retention.py). Yearly and all-time boards always stay in Redis.
    leaderboard_months: int = 13

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

    @property
    def redis_cluster(self) -> bool:
        """SERVICEBANK_REDIS_URL names a node of a Redis Cluster (redis+cluster://), not one Redis."""
        return redis_clients.is_cluster_url(self.redis_url)

    def signing_keys(self, now: dt.datetime | None = None) -> tuple[str, ...]:
        """Keys a signature may be made with: the current one, then rotated ones still in their grace period."""
        return keyring.accepted_signing_keys(self.secret_key, self.previous_secret_keys, now or dt.datetime.now(dt.UTC))

    def validate(self) -> Settings:
        """Refuse settings that are unsafe in production or cannot work at all."""
        if self.mode not in {EMBEDDED, PRODUCTION}:
            raise SettingsError(f"SERVICEBANK_MODE must be '{EMBEDDED}' or '{PRODUCTION}', got {self.mode!r}")
        if self.is_production:
            if not self.secret_key or self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "Production mode needs SERVICEBANK_SECRET_KEY set to a random value of at least 32 "
                    "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
                )
            _check_data_key(self)
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
        if self.leaderboard_months < 1:
            raise SettingsError("SERVICEBANK_LEADERBOARD_MONTHS must be at least 1 (the current month's boards).")
        if self.redis_url and (problem := redis_clients.check_url(self.redis_url)):
            raise SettingsError(problem)
        _check_replica(self)
        _check_pgbouncer(self)
        _check_vapid(self)
        try:
            self.sms.check(production=self.is_production)
        except SmsSettingsError as exc:
            raise SettingsError(str(exc)) from exc
        if not self.secret_key or self.secret_key == DEV_SECRET:
            raise SettingsError("SERVICEBANK_SECRET_KEY is empty or the default published in the source code: anyone "
                                "could forge codes with it. Unset it (embedded mode makes its own key) or set a "
                                "random value.")
        return self

    @classmethod
    def from_env(cls) -> Settings:
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
            **_keys_from_env(production, data_dir),
            host=host,
            port=port,
            public_url=_env("PUBLIC_URL", f"http://{host}:{port}") or f"http://{host}:{port}",
            timezone=_env("TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai",
            qr_rotation_seconds=_env_int("QR_ROTATION_SECONDS", 30),
            scan_pass_seconds=_env_int("SCAN_PASS_SECONDS", 600),
            redemption_code_seconds=_env_int("REDEMPTION_CODE_SECONDS", 600),
            outbox_sweep_after_seconds=_env_int("OUTBOX_SWEEP_AFTER_SECONDS", 30),
            outbox_batch_size=_env_int("OUTBOX_BATCH_SIZE", 500),
            outbox_gather_ms=_env_int("OUTBOX_GATHER_MS", 50),
            worker_poll_ms=_env_int("WORKER_POLL_MS", 100),
            db_pool_size=_env_int("DB_POOL_SIZE", 10),
            freeze_startup_heap=_env_bool("FREEZE_STARTUP_HEAP", True),
            gc_young_threshold=_env_int("GC_YOUNG_THRESHOLD", 20_000),
            database_replica_url=_env("DATABASE_REPLICA_URL") or None,
            replica_max_lag_seconds=_env_float("REPLICA_MAX_LAG_SECONDS", 5.0),
            replica_retry_seconds=_env_float("REPLICA_RETRY_SECONDS", 10.0),
            replica_sticky_seconds=_env_int("REPLICA_STICKY_SECONDS", 10),
            db_pre_ping=_env_bool("DB_PRE_PING", False),
            db_pgbouncer=_env_bool("DB_PGBOUNCER", False),
            scheduler_database_url=_env("SCHEDULER_DATABASE_URL") or None,
            debug=_env_bool("DEBUG", False),
            embedded_worker=_env_bool("EMBEDDED_WORKER", not production),
            publish_events=_env_bool("PUBLISH_EVENTS", True),
            secure_cookies=_env_bool("SECURE_COOKIES", production),
            max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
            data_dir=str(data_dir),
            evidence_dir=_env("EVIDENCE_DIR") or None,
            claim_max_age_days=_env_int("CLAIM_MAX_AGE_DAYS", 30),
            claim_photo_max_bytes=_env_int("CLAIM_PHOTO_MAX_BYTES", 5 * 1024 * 1024),
            smtp_url=_env("SMTP_URL") or None,
            sms=_sms_from_env(),
            vapid_private_key=_vapid_key_from_env(production, data_dir),
            vapid_subject=_env("VAPID_SUBJECT") or None,
            json_logs=_env_bool("JSON_LOGS", production),
            trusted_proxies=tuple(p.strip() for p in (_env("TRUSTED_PROXIES") or "").split(",") if p.strip()),
            metrics_allow=_env_list("METRICS_ALLOW"),
            metrics_token=_env("METRICS_TOKEN") or None,
            public_read_cache_seconds=_env_float("PUBLIC_READ_CACHE_SECONDS", 1.0),
            principal_cache_seconds=_env_float("PRINCIPAL_CACHE_SECONDS", 30.0),
            leaderboard_months=_env_int("LEADERBOARD_MONTHS", 13),
        )

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _check_pgbouncer(settings: Settings) -> None:
    if not settings.db_pgbouncer:
        return
    if not settings.is_postgres:
        raise SettingsError("SERVICEBANK_DB_PGBOUNCER is for PostgreSQL behind PgBouncer; unset it for SQLite.")
    if not (settings.scheduler_database_url or "").startswith("postgresql"):
        raise SettingsError("Behind PgBouncer in transaction mode the scheduler's leadership lock needs a connection "
                            "of its own: set SERVICEBANK_SCHEDULER_DATABASE_URL to PostgreSQL itself (or a PgBouncer "
                            "pool in session mode), e.g. postgresql+asyncpg://servicebank:…@db-host:5432/servicebank.")


def _check_replica(settings: Settings) -> None:
    url = settings.database_replica_url
    if url is None:
        return
    if not settings.is_postgres or not url.startswith("postgresql"):
        raise SettingsError("SERVICEBANK_DATABASE_REPLICA_URL needs PostgreSQL for both the database and the replica "
                            "(e.g. postgresql+asyncpg://servicebank@replica-host/servicebank); unset it for SQLite.")
    if url == settings.database_url:
        raise SettingsError("SERVICEBANK_DATABASE_REPLICA_URL is the same address as SERVICEBANK_DATABASE_URL: point "
                            "it at the streaming replica, or unset it.")
    if settings.replica_max_lag_seconds <= 0 or settings.replica_retry_seconds <= 0 or settings.replica_sticky_seconds < 0:
        raise SettingsError("SERVICEBANK_REPLICA_MAX_LAG_SECONDS and SERVICEBANK_REPLICA_RETRY_SECONDS must be above 0, "
                            "SERVICEBANK_REPLICA_STICKY_SECONDS 0 or more.")


def _sms_from_env() -> SmsSettings:
    try:
        return SmsSettings.from_env()
    except SmsSettingsError as exc:
        raise SettingsError(str(exc)) from exc


def _vapid_key_from_env(production: bool, data_dir: Path) -> str | None:
    """The VAPID key: SERVICEBANK_VAPID_PRIVATE_KEY (PEM, `\\n` for line breaks allowed); else embedded mode's file."""
    raw = _env("VAPID_PRIVATE_KEY")
    if raw:
        return raw.replace("\\n", "\n")
    if production:
        return None
    try:
        return keyring.load_or_create_vapid(data_dir)
    except keyring.KeyFileError as exc:
        raise SettingsError(str(exc)) from exc


def _check_vapid(settings: Settings) -> None:
    if settings.vapid_private_key is None:
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_private_key(settings.vapid_private_key.encode(), password=None)
    except ValueError as exc:
        raise SettingsError("SERVICEBANK_VAPID_PRIVATE_KEY is not a PEM private key (make one with `openssl ecparam "
                            "-name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt`)") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SettingsError("SERVICEBANK_VAPID_PRIVATE_KEY must be an EC P-256 (prime256v1) key")
    subject = settings.vapid_subject or ""
    if settings.is_production and not subject.startswith(("mailto:", "https://")):
        raise SettingsError("Web Push needs SERVICEBANK_VAPID_SUBJECT: a contact for the push services, "
                            "mailto:you@example.org or https://your.site")


def _check_data_key(settings: Settings) -> None:
    data_key = settings.data_key or ""
    if len(data_key) < keyring.MIN_KEY_LENGTH or data_key == DEV_SECRET:
        raise SettingsError(
            "Production mode needs SERVICEBANK_DATA_KEY (encrypts ID numbers) set to a random value of at least "
            f"{keyring.MIN_KEY_LENGTH} characters, different from SERVICEBANK_SECRET_KEY. Until this version ID "
            "numbers were encrypted with SERVICEBANK_SECRET_KEY when no data key was set: they stay readable, "
            "then run `servicebank keys reencrypt` (docs/security.md, Secrets and keys).")
    if data_key in settings.signing_keys():
        raise SettingsError("SERVICEBANK_DATA_KEY must differ from SERVICEBANK_SECRET_KEY: the key that signs public "
                            "codes must not also decrypt ID numbers.")


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _previous_secret_keys() -> tuple[keyring.RetiredKey, ...]:
    previous = _split(_env("PREVIOUS_SECRET_KEYS"))
    if not previous:
        return ()
    raw_until = _env("PREVIOUS_SECRET_KEYS_UNTIL") or ""
    try:
        until = dt.datetime.fromisoformat(raw_until.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SettingsError("SERVICEBANK_PREVIOUS_SECRET_KEYS needs SERVICEBANK_PREVIOUS_SECRET_KEYS_UNTIL, the time "
                            "old codes stop being accepted (e.g. 2026-12-13T00:00:00Z; "
                            f"`servicebank keys rotate` prints it), got {raw_until!r}") from exc
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    return tuple(keyring.RetiredKey(key, until) for key in previous)


def _keys_from_env(production: bool, data_dir: Path) -> dict[str, Any]:
    """Signing and data keys: from the environment when set; else embedded mode's own keys file."""
    secret_key, data_key = _env("SECRET_KEY") or "", _env("DATA_KEY") or None
    keys: dict[str, Any] = {
        "secret_key": secret_key, "data_key": data_key, "previous_secret_keys": _previous_secret_keys(),
        "previous_data_keys": _split(_env("PREVIOUS_DATA_KEYS")),
        # What the code before per-install keys encrypted ID numbers with: the data key, else the secret key.
        "legacy_data_keys": tuple(k for k in (data_key, secret_key or DEV_SECRET) if k),
    }
    if production or (secret_key and data_key):
        return keys
    try:
        found = keyring.load_or_create(data_dir)
    except (OSError, keyring.KeyFileError) as exc:
        raise SettingsError(f"Embedded mode keeps its keys in {keyring.keys_path(data_dir)}: {exc}") from exc
    return keys | {
        "secret_key": secret_key or found.signing_key, "data_key": data_key or found.data_key,
        "previous_secret_keys": keys["previous_secret_keys"] or found.previous_signing_keys,
        "previous_data_keys": keys["previous_data_keys"] or found.previous_data_keys,
        "keys_file": str(keyring.keys_path(data_dir)),
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings.from_env().validate()
