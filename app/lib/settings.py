"""Settings: one typed object read from the environment (prefix TOONIFY_) once.

Nothing else in the project reads os.environ. Names and defaults follow the original design.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

PREFIX = "TOONIFY_"
ALLOWED_JWT_ALGORITHMS = ("HS256", "HS384", "HS512")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(PREFIX + name)
    return default if value in (None, "") else value


def _int(name: str, default: int) -> int:
    raw = _env(name)
    try:
        return default if raw is None else int(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None


def _list(name: str, default: list[str]) -> list[str]:
    raw = _env(name)
    if raw is None:
        return default
    if raw.strip().startswith("["):
        return [str(x) for x in json.loads(raw)]
    return [x.strip() for x in raw.split(",") if x.strip()]


@dataclass(frozen=True)
class Settings:
    app_env: str = "local"
    debug: bool = False
    data_dir: pathlib.Path = pathlib.Path("var")
    # SQLite in the data folder unless a postgresql:// URL is given
    database_url: str = ""
    jwt_secret: str = ""
    jwt_algorithm: str = "HS256"
    access_token_expire_minutes: int = 60
    refresh_token_expire_days: int = 7
    cors_origins: list[str] = field(default_factory=list)
    upload_dir: pathlib.Path = pathlib.Path("var/uploads")
    processed_dir: pathlib.Path = pathlib.Path("var/processed")
    max_file_size_mb: int = 10
    allowed_extensions: list[str] = field(default_factory=lambda: ["jpg", "jpeg", "png", "webp"])
    default_output_quality: int = 85
    max_image_dimension: int = 4096
    max_image_pixels: int = 50_000_000
    pool_size: int = 2  # full-resolution job workers
    preview_workers: int = 2  # live-preview workers, a separate lane so previews never wait behind jobs
    preview_size: int = 1024
    ws_idle_timeout: int = 300
    login_max_failures: int = 5
    login_lock_seconds: int = 30
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


def _jwt_secret(data_dir: pathlib.Path) -> str:
    """The configured secret, else one generated once and kept (mode 600) in the data folder."""
    configured = _env("JWT_SECRET")
    if configured:
        return configured
    path = data_dir / "jwt_secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_settings() -> Settings:
    data_dir = pathlib.Path(_env("DATA_DIR", "var")).resolve()
    cores = os.cpu_count() or 1
    algorithm = _env("JWT_ALGORITHM", "HS256")
    if algorithm not in ALLOWED_JWT_ALGORITHMS:
        raise SystemExit(f"{PREFIX}JWT_ALGORITHM must be one of {', '.join(ALLOWED_JWT_ALGORITHMS)}")
    return Settings(
        app_env=_env("APP_ENV", "local"),
        debug=_env("DEBUG", "false").lower() in ("1", "true", "yes"),
        data_dir=data_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'toonify.sqlite3'}"),
        jwt_secret=_jwt_secret(data_dir),
        jwt_algorithm=algorithm,
        access_token_expire_minutes=_int("ACCESS_TOKEN_EXPIRE_MINUTES", 60),
        refresh_token_expire_days=_int("REFRESH_TOKEN_EXPIRE_DAYS", 7),
        cors_origins=_list("CORS_ORIGINS", ["http://localhost:8000", "http://127.0.0.1:8000"]),
        upload_dir=pathlib.Path(_env("UPLOAD_DIR", str(data_dir / "uploads"))).resolve(),
        processed_dir=pathlib.Path(_env("PROCESSED_DIR", str(data_dir / "processed"))).resolve(),
        max_file_size_mb=_int("MAX_FILE_SIZE_MB", 10),
        allowed_extensions=[e.lower().lstrip(".") for e in _list("ALLOWED_EXTENSIONS", ["jpg", "jpeg", "png", "webp"])],
        default_output_quality=_int("DEFAULT_OUTPUT_QUALITY", 85),
        max_image_dimension=_int("MAX_IMAGE_DIMENSION", 4096),
        max_image_pixels=_int("MAX_IMAGE_PIXELS", 50_000_000),
        pool_size=_int("POOL_SIZE", cores),
        preview_workers=_int("PREVIEW_WORKERS", cores),
        preview_size=_int("PREVIEW_SIZE", 1024),
        ws_idle_timeout=_int("WS_IDLE_TIMEOUT", 300),
        login_max_failures=_int("LOGIN_MAX_FAILURES", 5),
        login_lock_seconds=_int("LOGIN_LOCK_SECONDS", 30),
        stripe_secret_key=_env("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=_env("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=_env("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=_env("STRIPE_API_BASE", ""),
        hd_price_cents=_int("HD_PRICE_CENTS", 299),
        currency=_env("CURRENCY", "usd").lower(),
        sd_max_side=_int("SD_MAX_SIDE", 1024),
        batch_max_photos=_int("BATCH_MAX_PHOTOS", 50),
        batch_max_mb=_int("BATCH_MAX_MB", 200),
        batches_in_flight=_int("BATCHES_IN_FLIGHT", 3),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
