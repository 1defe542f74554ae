"""Leases: one holder at a time for a named job, expiring if the holder dies.

A holder whose process is known to be dead (`store.liveness`: an OS lock it held is free) loses
its lease at once; one alive but stuck, or one that cannot be judged, loses it when it expires.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)


class LeaseRepo:
    def __init__(self, store: Store):
        self.store = store

    def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew the lease; False while another live holder has it."""
        with self.store.transaction() as conn:
            now = self.store.now()
            row = conn.execute(
                "SELECT holder, expires_at FROM leases WHERE name = ?", (name,)
            ).fetchone()
            if row and row[0] != holder and row[1] > now:
                if self.store.liveness.is_alive(row[0]) is not False:
                    return False
                log.info("lease %s: holder %s is gone; taking over", name, row[0])
            self.store.liveness.hold(holder)  # first: no row names a holder without its lock
            acquired_at = now if not row or row[0] != holder else None
            conn.execute(
                "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at, "
                "acquired_at = COALESCE(?, leases.acquired_at)",
                (name, holder, now + ttl, acquired_at or now, acquired_at),
            )
            return True

    def release(self, name: str, holder: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
        self.store.release_liveness(holder)

    def holder(self, name: str) -> str | None:
        """The live holder of the lease, or None."""
        row = self.store.conn.execute(
            "SELECT holder FROM leases WHERE name = ? AND expires_at > ?",
            (name, self.store.now()),
        ).fetchone()
        return row[0] if row else None
