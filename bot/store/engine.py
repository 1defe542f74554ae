"""Which database the store talks to, and the SQLAlchemy engine that talks to it.

SQLite (a file, `RECORDINGS_DB`) is the embedded default; `DATABASE_URL=postgresql://...` selects
PostgreSQL, through psycopg. The engine runs every connection in autocommit: the store opens its
own transactions (`BEGIN IMMEDIATE` on SQLite, `BEGIN` plus an advisory lock on PostgreSQL), so
a read outside one never takes a lock and never holds a connection.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

WAL_SWITCH_SECONDS = 30.0
_PG_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")


# What a failing database raises, on either engine: SQLAlchemy wraps the driver's errors, and a
# few (SQLite's, while a connection is set up) come through as they are.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, sqlite3.Error)


def describe_error(exc: BaseException) -> str:
    """A database error in one line: the driver's own words, without SQLAlchemy's copy of the
    statement (its parameters are hidden anyway: `hide_parameters`)."""
    orig = getattr(exc, "orig", None)
    cause = orig if isinstance(orig, BaseException) else exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


class DatabaseUrlError(ValueError):
    """DATABASE_URL cannot name a database this bot can use (the message says why)."""


@dataclass(frozen=True)
class Target:
    """A database to open: a SQLite file path, or a PostgreSQL URL (password inside)."""

    dialect: str
    location: str  # the file path, or the URL as given

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == POSTGRESQL

    def describe(self) -> str:
        """Where, safe to print: a URL loses its password."""
        if not self.is_postgresql:
            return self.location
        url = postgresql_url(self.location).set(drivername="postgresql")
        return url.render_as_string(hide_password=True)


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) for a lock's name."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def target_for(location: str) -> Target:
    """A SQLite path, or a `postgres://` / `postgresql://` URL."""
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    if scheme.startswith("postgres"):
        postgresql_url(location)  # refuse a malformed URL here, with a clear message
        return Target(POSTGRESQL, location)
    if scheme:
        raise DatabaseUrlError(
            f"DATABASE_URL must start with postgresql:// (or postgres://), not {scheme}://; "
            "leave it unset to use the SQLite file RECORDINGS_DB"
        )
    return Target(SQLITE, location)


def postgresql_url(location: str) -> URL:
    """The SQLAlchemy URL for a `postgres://` or `postgresql://` URL, on the psycopg driver
    (Heroku and others still hand out `postgres://`, which SQLAlchemy no longer reads)."""
    try:
        url = make_url(location)
    except ArgumentError:
        raise DatabaseUrlError(
            "DATABASE_URL is not a URL SQLAlchemy can read; expected "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    if url.drivername not in _PG_SCHEMES:
        raise DatabaseUrlError(
            f"DATABASE_URL uses the driver {url.drivername!r}; use postgresql:// "
            "(the bot talks to PostgreSQL through psycopg)"
        )
    if not url.database:
        raise DatabaseUrlError("DATABASE_URL names no database: add /DATABASE at its end")
    return url.set(drivername="postgresql+psycopg")


def _use_wal(conn: sqlite3.Connection, wait: float) -> None:
    """Put the file in WAL mode (it stays so: later connections find it already set).

    Switching takes an exclusive lock, and SQLite answers "database is locked" at once, without
    its busy handler, when another connection opens the new file at the same moment: so wait
    and try again, as busy_timeout would.
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(0.1, delay * 2)


def _sqlite_engine(path: str, busy_seconds: float) -> Engine:
    engine = sqlalchemy.create_engine(
        URL.create("sqlite+pysqlite", database=path),
        connect_args={"timeout": busy_seconds, "check_same_thread": False},
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,  # an error's message never quotes a value (a password, a link)
        pool_size=8,
        max_overflow=56,
        pool_timeout=busy_seconds,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # the store says BEGIN and COMMIT itself
        dbapi_conn.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        _use_wal(dbapi_conn, min(WAL_SWITCH_SECONDS, busy_seconds))
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        # Overwritten values (a password sealed or dropped) are zeroed, not left in free space:
        # Debian's SQLite does this by default, many builds do not.
        dbapi_conn.execute("PRAGMA secure_delete = ON")

    return engine


def _postgresql_engine(location: str, busy_seconds: float, pool_size: int) -> Engine:
    lock_ms = int(busy_seconds * 1000)
    return sqlalchemy.create_engine(
        postgresql_url(location),
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=busy_seconds,
        pool_pre_ping=True,  # a replica outlives a database restart or a dropped connection
        # A lock (row, advisory) waited on longer than RECORDINGS_DB_BUSY_SECONDS is an error,
        # as SQLite's busy timeout is; a connection that cannot be made in 10 s too.
        connect_args={
            "connect_timeout": 10,
            "options": f"-c lock_timeout={lock_ms} -c idle_in_transaction_session_timeout=600000",
            "application_name": "recordings-bot",
        },
    )


def make_engine(target: Target, *, busy_seconds: float, pool_size: int = 5) -> Engine:
    if target.is_postgresql:
        return _postgresql_engine(target.location, busy_seconds, pool_size)
    return _sqlite_engine(target.location, busy_seconds)
