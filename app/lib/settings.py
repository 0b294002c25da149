"""Settings: one typed object read from the environment (prefix TOONIFY_) once.

Nothing else in the project reads os.environ. Every field's default is written once, here in
the dataclass; `TOONIFY_<FIELD NAME>` overrides it. Names and defaults follow the original
design (its APP_ENV and DEBUG are not kept: nothing would read them).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

PREFIX = "TOONIFY_"
ALLOWED_JWT_ALGORITHMS = ("HS256", "HS384", "HS512")
_CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    data_dir: pathlib.Path = pathlib.Path("var")
    # "" means derived from data_dir: SQLite in the data folder, uploads/ and processed/ inside it
    database_url: str = ""
    upload_dir: pathlib.Path | None = None
    processed_dir: pathlib.Path | None = None
    # "" means generated once and kept (mode 600) in the data folder
    jwt_secret: str = ""
    jwt_algorithm: str = "HS256"
    access_token_expire_minutes: int = 60
    refresh_token_expire_days: int = 7
    cors_origins: list[str] = field(default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"])
    max_file_size_mb: int = 10
    allowed_extensions: list[str] = field(default_factory=lambda: ["jpg", "jpeg", "png", "webp"])
    default_output_quality: int = 85
    max_image_dimension: int = 4096
    max_image_pixels: int = 50_000_000
    pool_size: int = _CORES  # full-resolution job workers
    preview_workers: int = _CORES  # live-preview workers: their own lane, so previews never wait behind jobs
    preview_size: int = 1024
    # a live preview whose style took longer than this (ms, this session) gets a half-size frame
    # first, on an idle preview worker (docs/protocol.md); -1: never
    preview_coarse_above_ms: int = 15
    preview_look_ahead: bool = False  # app/render/work.py LookAhead: off (its p95 effect was mixed)
    ws_idle_timeout: int = 300
    body_timeout: int = 30  # seconds a client may take to send a request body (slow uploads are cut)
    batch_body_timeout: int = 600  # the same for POST /batches (up to batch_max_mb of photos)
    login_max_failures: int = 5
    login_lock_seconds: int = 30
    login_address_max_failures: int = 50  # failed logins from one address (any email) per 15 minutes
    # per-user limits (app/lib/ratelimit.py), 0 = off: HTTP requests per minute, renders queued per hour
    rate_limit_requests: int = 1200
    rate_limit_renders: int = 300
    # payments: on only when both secrets are set
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    hd_price_cents: int = 299
    currency: str = "usd"
    sd_max_side: int = 1024
    # batches (app/batches)
    batch_max_photos: int = 50
    batch_max_mb: int = 200
    batches_in_flight: int = 3
    # cluster mode (docs/scaling.md): a PostgreSQL database_url plus both of these. Unset = embedded.
    redis_url: str = ""  # redis://host:port/db: job queue, job events, login throttling
    redis_prefix: str = "toonify"  # every Redis key and channel starts with it (several deployments per Redis)
    # s3://bucket[/prefix]; the endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY and AWS_REGION, read by boto3 itself where the client is made (app/lib/objects.py)
    storage_url: str = ""
    render_attempts: int = 3  # deliveries of a job to workers before it is FAILED (a killed worker uses one)
    job_heartbeat: int = 10  # seconds without a worker's heartbeat before its job is handed to another
    reconcile_interval: int = 5  # seconds between a worker's checks of unfinished jobs against the queue
    metrics_port: int = 0  # workers: serve /metrics on this port (0: none); web nodes serve it at /metrics
    log_json: bool = False  # one JSON object per log line (cluster deployments ship them to a collector)

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_size_mb * 1024 * 1024

    @property
    def batch_max_bytes(self) -> int:
        return self.batch_max_mb * 1024 * 1024

    @property
    def payments_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def is_cluster(self) -> bool:
        """Redis and object storage set: renders go to `toonify worker` processes, files to S3."""
        return bool(self.redis_url and self.storage_url)

    @property
    def uploads(self) -> pathlib.Path:
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def processed(self) -> pathlib.Path:
        return self.processed_dir or self.data_dir / "processed"


def _parse(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
        if kind.startswith("list"):
            if raw.strip().startswith("["):
                return [str(x) for x in json.loads(raw)]
            return [x.strip() for x in raw.split(",") if x.strip()]
        if "Path" in kind:
            return pathlib.Path(raw).resolve()
    except (ValueError, json.JSONDecodeError):
        raise SystemExit(f"{PREFIX}{name.upper()} is not valid: {raw!r}") from None
    return raw


def _jwt_secret(data_dir: pathlib.Path) -> str:
    """A secret generated once and kept (mode 600) in the data folder."""
    path = data_dir / "jwt_secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = env.get(PREFIX + f.name.upper())
        if raw not in (None, ""):
            values[f.name] = _parse(f.name, f.type, raw)
    s = Settings(**values)
    data_dir = s.data_dir.resolve()
    if s.jwt_algorithm not in ALLOWED_JWT_ALGORITHMS:
        raise SystemExit(f"{PREFIX}JWT_ALGORITHM must be one of {', '.join(ALLOWED_JWT_ALGORITHMS)}")
    if bool(s.redis_url) != bool(s.storage_url):
        raise SystemExit(f"{PREFIX}REDIS_URL and {PREFIX}STORAGE_URL go together: set both for a cluster, or neither")
    if s.redis_url and not s.redis_url.startswith(("redis://", "rediss://")):
        raise SystemExit(f"{PREFIX}REDIS_URL must be redis://host:port/db, not {s.redis_url!r}")
    if s.storage_url and not s.storage_url.startswith("s3://"):
        raise SystemExit(f"{PREFIX}STORAGE_URL must be s3://bucket[/prefix], not {s.storage_url!r}")
    if s.redis_url and not s.jwt_secret:  # a secret generated per node would reject the other nodes' tokens
        raise SystemExit(f"a cluster ({PREFIX}REDIS_URL set) needs a {PREFIX}JWT_SECRET that every node shares")
    if s.redis_url and not s.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            f"a cluster ({PREFIX}REDIS_URL set) needs a PostgreSQL {PREFIX}DATABASE_URL that every node shares"
        )
    return replace(
        s,
        data_dir=data_dir,
        database_url=s.database_url or f"sqlite:///{data_dir / 'toonify.sqlite3'}",
        jwt_secret=s.jwt_secret or _jwt_secret(data_dir),
        allowed_extensions=[e.lower().lstrip(".") for e in s.allowed_extensions],
        currency=s.currency.lower(),
    )


_current: Settings | None = None


def get_settings() -> Settings:
    """The one settings object, read from the environment on first use."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def override(**changes: Any) -> Settings:
    """Command-line flags (`--workers`) win over the environment for this process."""
    global _current
    _current = replace(get_settings(), **changes)
    return _current
