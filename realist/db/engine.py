"""Database URLs and engines: SQLite (default, WAL, foreign keys on) or PostgreSQL (team mode)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

DEFAULT_DB_FILE = "review.realist.db"


class DatabaseUrlError(ValueError):
    """The database URL cannot be used."""


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: the argument, else REALIST_DB, else ./review.realist.db.

    A bare path (no `://`) is taken as an SQLite file.
    """
    raw = url or os.environ.get("REALIST_DB") or DEFAULT_DB_FILE
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for in-memory or other backends."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the tail).
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's implicit transactions do not start until the first write; BEGIN IMMEDIATE takes the
    # write lock up front so concurrent writers queue on busy_timeout instead of failing mid-way.
    # Read-only work runs on an engine copy marked `sqlite_deferred` so readers never block writers.
    if conn.get_execution_options().get("sqlite_deferred"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the settings every connection needs."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
        raise DatabaseUrlError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None and not path.parent.exists():
            raise DatabaseUrlError(f"folder does not exist for the database file: {path.parent}")
        engine = create_engine(
            url,
            echo=echo,
            poolclass=StaticPool if path is None else None,
            connect_args={"check_same_thread": False, "timeout": 10, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    return create_engine(url, echo=echo)
