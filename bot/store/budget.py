"""The API call ledger behind the throttle, shared by every process on the database.

Each granted call is a row; a call is granted inside one BEGIN IMMEDIATE transaction only if
fewer than `limit` calls were granted in the last `window` seconds, so two processes can never
both take the last slot.

Between priorities: interactive callers (people) go first, but only up to `interactive_limit`
calls a window. Below that share, background callers (the poller) leave `reserve` slots to
them and step aside while one is waiting; once people have used their share, background callers
take the rest of the window. So however many people ask, the poller gets
`limit - interactive_limit` calls every window and a completed recording still reaches its
channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models import INTERACTIVE

if TYPE_CHECKING:
    from bot.store import Store

_KEEP_SECONDS = 2 * 86400  # history kept for "calls today" in the status


def _lock(bucket: str) -> str:
    """The name of the advisory lock that serialises one bucket's grants (PostgreSQL)."""
    return f"budget:{bucket}"


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
        interactive_limit: int | None = None,
    ) -> float:
        """Take one call slot if one is free: returns 0.0 when granted, else seconds to wait.

        `interactive_limit` (default: `limit`) caps the interactive calls of a window.

        On PostgreSQL the bucket has its own advisory lock: every replica's grants are counted
        one at a time, and a grant never waits behind the store's other writes."""
        with self.store.transaction(lock=_lock(bucket)) as conn:
            now = self.store.now()
            blocked_until = self._blocked_until(conn, bucket)
            if now < blocked_until:
                return blocked_until - now
            rows = conn.execute(
                "SELECT at, priority FROM api_calls WHERE bucket = ? AND at > ? ORDER BY at",
                (bucket, now - window),
            ).fetchall()
            times = [row[0] for row in rows]
            people = [row[0] for row in rows if row[1] == INTERACTIVE]
            share = limit if interactive_limit is None else max(1, min(limit, interactive_limit))
            room = share - len(people)  # interactive calls still allowed this window
            if priority == INTERACTIVE:
                if room <= 0:  # people used their share: the slot frees when their oldest leaves
                    return max(0.01, people[len(people) - share] + window - now)
                allowed = limit
            else:
                # Leave the reserve to people, as long as they may still use it.
                allowed = max(1, limit - max(0, min(reserve, room)))
                if room > 0 and self._interactive_waiting(conn, bucket, now):
                    return 0.2  # a person is waiting and may still call: let them go first
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

    def _interactive_waiting(self, conn, bucket: str, now: float) -> bool:
        row = conn.execute(
            "SELECT COUNT(*) FROM api_waiters WHERE bucket = ? AND priority = ? AND expires_at > ?",
            (bucket, INTERACTIVE, now),
        ).fetchone()
        return bool(row[0])

    def block_until(self, bucket: str, until: float) -> None:
        """The server said we are throttled: grant nothing in `bucket` before `until`."""
        with self.store.transaction(lock=_lock(bucket)) as conn:
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
            waiter_id = conn.execute(
                "INSERT INTO api_waiters (bucket, priority, since, expires_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (bucket, priority, now, now + ttl),
            ).scalar()
            conn.execute("DELETE FROM api_waiters WHERE expires_at < ?", (now,))
            return int(waiter_id)

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
