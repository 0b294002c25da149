"""The database engine (SQLite by default, PostgreSQL via TOONIFY_DATABASE_URL) and migrations."""

from __future__ import annotations

import warnings
from urllib.parse import unquote, urlparse

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from .settings import get_settings


def make_engine(url: str | None = None):
    url = url or get_settings().database_url
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        # the engine connects once when made and only warns if it cannot: check() says it clearly
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return PostgresEngine(
                config={
                    "host": parsed.hostname or "127.0.0.1",
                    "port": parsed.port or 5432,
                    "user": unquote(parsed.username or "postgres"),
                    "password": unquote(parsed.password or ""),
                    "database": (parsed.path or "/postgres").lstrip("/"),
                }
            )
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        import pathlib

        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        # a generous busy timeout: concurrent writers wait rather than fail with "database is locked"
        return SQLiteEngine(path=path, timeout=30)
    raise SystemExit(f"TOONIFY_DATABASE_URL must be sqlite:///path or postgresql://..., not {url!r}")


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used; the message is one sentence for an operator."""


def describe(url: str) -> str:
    """The database URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return parsed.geturl()


async def check(url: str | None = None) -> None:
    """Connect once, or raise DatabaseUnavailable saying which database and why."""
    url = url or get_settings().database_url
    engine = make_engine(url)
    try:
        await engine.run_ddl("SELECT 1")
    except Exception as exc:  # driver errors vary (OSError, asyncpg, sqlite3): all mean the same here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"cannot use the database {describe(url)}: {reason}") from None


async def migrate() -> None:
    """Apply every pending Piccolo migration (all apps)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await check()
    result = await run_forwards(app_name="all", fake=False)
    if not result.success:
        raise DatabaseUnavailable(f"database migration failed: {result.message}")


def write_transaction(table):
    """A transaction for read-then-write work that must not interleave with another's.

    SQLite: BEGIN IMMEDIATE takes the write lock up front (a deferred transaction that later
    tries to write fails with "database is locked" instead of waiting). PostgreSQL: a normal
    transaction; callers lock the rows they change with `locked()`.
    """
    from piccolo.engine.sqlite import SQLiteEngine, TransactionType

    engine = table._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def locked(query):
    """SELECT ... FOR UPDATE on PostgreSQL (SQLite's immediate transaction already serialises)."""
    from piccolo.engine.postgres import PostgresEngine

    return query.lock_rows() if isinstance(query.table._meta.db, PostgresEngine) else query


async def persist(make, attempts: int = 8, first_wait: float = 0.2):
    """Run the query `make()` builds, again (with a new connection from the pool) while the
    database is briefly gone: a job's final status must not be lost to a dropped connection."""
    import asyncio

    from .errors import database_gone

    wait = first_wait
    for attempt in range(attempts):
        try:
            return await make()
        except Exception as exc:
            if not database_gone(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(wait)  # back off: the server or the pool is reconnecting
            wait = min(wait * 2, 5.0)
    raise AssertionError("unreachable")
