"""The API call ledger behind the throttle, shared by every process on the database.

Each granted call is a row; a call is granted inside one BEGIN IMMEDIATE transaction only if
fewer than `limit` calls were granted in the last `window` seconds, so two processes can never
both take the last slot. Background callers leave `reserve` slots to interactive ones and step
aside while an interactive caller is waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import INTERACTIVE

if TYPE_CHECKING:
    from bot.store import Store

_KEEP_SECONDS = 2 * 86400  # history kept for "calls today" in the status


class BudgetRepo:
    """The ledger a `bot.tencent.throttle.Throttle` is handed (it satisfies its `Ledger`)."""

    def __init__(self, store: Store):
        self.store = store

    def now(self) -> float:
        """The store's clock, which the ledger's times are written in."""
        return self.store.now()

    def try_acquire(
        self,
        bucket: str,
        *,
        limit: int,
        window: float,
        priority: str,
        reserve: int = 1,
        pid: int | None = None,
    ) -> float:
        """Take one call slot if one is free: returns 0.0 when granted, else seconds to wait."""
        with self.store.transaction() as conn:
            now = self.store.now()
            blocked_until = self._blocked_until(conn, bucket)
            if now < blocked_until:
                return blocked_until - now
            times = [
                row[0]
                for row in conn.execute(
                    "SELECT at FROM api_calls WHERE bucket = ? AND at > ? ORDER BY at",
                    (bucket, now - window),
                )
            ]
            allowed = limit
            if priority != INTERACTIVE:
                allowed = max(1, limit - reserve) if limit > reserve else limit
                waiting = conn.execute(
                    "SELECT COUNT(*) FROM api_waiters WHERE bucket = ? AND priority = ? "
                    "AND expires_at > ?",
                    (bucket, INTERACTIVE, now),
                ).fetchone()[0]
                if waiting:
                    return 0.2  # a person is waiting: let them go first
            if len(times) < allowed:
                conn.execute(
                    "INSERT INTO api_calls (bucket, at, priority, pid) VALUES (?, ?, ?, ?)",
                    (bucket, now, priority, pid),
                )
                conn.execute(
                    "DELETE FROM api_calls WHERE bucket = ? AND at < ?",
                    (bucket, now - _KEEP_SECONDS),
                )
                return 0.0
            # The slot frees when the call that keeps us at `allowed` leaves the window.
            oldest_blocking = times[len(times) - allowed]
            return max(0.01, oldest_blocking + window - now)

    def block_until(self, bucket: str, until: float) -> None:
        """The server said we are throttled: grant nothing in `bucket` before `until`."""
        with self.store.transaction() as conn:
            if until > self._blocked_until(conn, bucket):
                conn.execute(
                    "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    (f"budget_blocked_until:{bucket}", repr(until), self.store.now()),
                )

    def _blocked_until(self, conn, bucket: str) -> float:
        row = conn.execute(
            "SELECT value FROM bot_state WHERE key = ?", (f"budget_blocked_until:{bucket}",)
        ).fetchone()
        return float(row[0]) if row and row[0] else 0.0

    def add_waiter(self, bucket: str, priority: str, ttl: float) -> int:
        with self.store.transaction() as conn:
            now = self.store.now()
            cur = conn.execute(
                "INSERT INTO api_waiters (bucket, priority, since, expires_at) VALUES (?, ?, ?, ?)",
                (bucket, priority, now, now + ttl),
            )
            conn.execute("DELETE FROM api_waiters WHERE expires_at < ?", (now,))
            return int(cur.lastrowid)

    def refresh_waiter(self, waiter_id: int, ttl: float) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE api_waiters SET expires_at = ? WHERE id = ?",
                (self.store.now() + ttl, waiter_id),
            )

    def remove_waiter(self, waiter_id: int) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM api_waiters WHERE id = ?", (waiter_id,))

    def calls_since(self, bucket: str, since: float) -> int:
        row = self.store.conn.execute(
            "SELECT COUNT(*) FROM api_calls WHERE bucket = ? AND at >= ?", (bucket, since)
        ).fetchone()
        return int(row[0])

    def call_times(self, bucket: str, since: float) -> list[float]:
        """When each call since `since` was granted (oldest first): for tests and benchmarks."""
        return [
            row[0]
            for row in self.store.conn.execute(
                "SELECT at FROM api_calls WHERE bucket = ? AND at >= ? ORDER BY at",
                (bucket, since),
            )
        ]
