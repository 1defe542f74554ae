"""Liveness on PostgreSQL: each lease holder keeps a session advisory lock on a connection of
its own for as long as it lives. The server releases that lock the moment the connection dies
(the process killed, its host gone, the network cut), so another replica sees at once that the
holder is gone and takes its lease over. One that is alive but stuck keeps its lock; its lease
still expires as before (bot/store/leases.py).
"""

from __future__ import annotations

import contextlib
import threading

import sqlalchemy
from sqlalchemy.engine import Connection, Engine

from bot.store.engine import DATABASE_ERRORS, lock_key

_TRY = sqlalchemy.text(
    "SELECT CASE WHEN pg_try_advisory_lock(:key) THEN NOT pg_advisory_unlock(:key) ELSE TRUE END"
)


def holder_lock_key(holder: str) -> int:
    return lock_key(f"lease-holder:{holder}")


class AdvisoryLiveness:
    """`bot.store.liveness.Liveness` through PostgreSQL session advisory locks."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._held: dict[str, Connection] = {}
        self._guard = threading.Lock()

    def hold(self, holder: str) -> None:
        with self._guard:
            conn = self._held.get(holder)
            if conn is not None:
                try:
                    conn.exec_driver_sql("SELECT 1")  # still connected: the lock still stands
                    return
                except DATABASE_ERRORS:
                    self._drop(holder)
            conn = self.engine.connect()  # kept out of the pool for the holder's life
            try:
                conn.execute(
                    sqlalchemy.text("SELECT pg_advisory_lock(:key)"),
                    {"key": holder_lock_key(holder)},
                )
            except BaseException:
                conn.close()
                raise
            self._held[holder] = conn

    def release(self, holder: str) -> None:
        with self._guard:
            self._drop(holder)

    def is_alive(self, holder: str) -> bool | None:
        """True while the holder's connection holds its lock; False once it is free."""
        with self._guard:
            if holder in self._held:
                return True
        with self.engine.connect() as conn:
            return bool(conn.execute(_TRY, {"key": holder_lock_key(holder)}).scalar())

    def close(self) -> None:
        with self._guard:
            for holder in list(self._held):
                self._drop(holder)

    def _drop(self, holder: str) -> None:
        conn = self._held.pop(holder, None)
        if conn is None:
            return
        with contextlib.suppress(*DATABASE_ERRORS):
            conn.execute(
                sqlalchemy.text("SELECT pg_advisory_unlock(:key)"),
                {"key": holder_lock_key(holder)},
            )
        with contextlib.suppress(*DATABASE_ERRORS):
            conn.invalidate()  # really closed, not pooled: no lock can outlive its holder
            conn.close()
