"""Webhook events received, and the nonces that make a replayed request a duplicate.

The nonce table remembers keys of several kinds, each with its own time to live, shared by every
process on the database: Tencent's `nonce:` and `trace:` keys, and Slack's `slack-request:`
(timestamp and signature) and `slack-event:` (event id) keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store

_KEEP_EVENTS_SECONDS = 30 * 86400
NONCE_MAX_TTL = 3600.0  # the longest any key is remembered; older rows are deleted


class WebhookRepo:
    def __init__(self, store: Store):
        self.store = store

    def record_event(
        self,
        *,
        event: str | None,
        trace_id: str | None,
        meeting_id: str | None,
        outcome: str,
        per_minute_cap: int | None = None,
    ) -> bool:
        """outcome: 'accepted', 'duplicate' or 'rejected: <reason>'. With `per_minute_cap`, an
        outcome already recorded that many times in the last minute is not recorded again (a
        flood of forged requests must not fill the disk); returns whether it was recorded."""
        with self.store.transaction() as conn:
            now = self.store.now()
            if per_minute_cap is not None:
                kind = outcome.split(":", 1)[0] + "%"
                recent = conn.execute(
                    "SELECT COUNT(*) FROM webhook_events WHERE received_at >= ? AND outcome LIKE ?",
                    (now - 60, kind),
                ).fetchone()[0]
                if recent >= per_minute_cap:
                    return False
            conn.execute(
                "INSERT INTO webhook_events (received_at, event, trace_id, meeting_id, outcome) "
                "VALUES (?, ?, ?, ?, ?)",
                (now, event, trace_id, meeting_id, outcome),
            )
            conn.execute(
                "DELETE FROM webhook_events WHERE received_at < ?", (now - _KEEP_EVENTS_SECONDS,)
            )
            return True

    def seen_nonce(self, key: str, ttl: float) -> bool:
        """True if `key` was seen within `ttl` seconds; else remember it (now) and return False.

        Each key keeps its own `ttl` (at most NONCE_MAX_TTL): a short-lived kind of key never
        makes a longer-lived one expire early."""
        if ttl > NONCE_MAX_TTL:
            raise ValueError(f"a nonce is kept at most {NONCE_MAX_TTL:.0f} s")
        # One atomic statement: the key is inserted, or its stale row taken over; a key seen
        # within `ttl` is left alone and returns no row. Two replicas cannot both get a row.
        with self.store.transaction(lock=None) as conn:
            now = self.store.now()
            conn.execute("DELETE FROM webhook_nonces WHERE seen_at < ?", (now - NONCE_MAX_TTL,))
            taken = conn.execute(
                "INSERT INTO webhook_nonces (nonce_key, seen_at) VALUES (?, ?) "
                "ON CONFLICT (nonce_key) DO UPDATE SET seen_at = excluded.seen_at "
                "WHERE webhook_nonces.seen_at < ? RETURNING nonce_key",
                (key, now, now - ttl),
            ).fetchone()
            return taken is None

    def forget_nonce(self, key: str) -> None:
        """Forget `key`, so its next copy is processed (its first processing failed)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM webhook_nonces WHERE nonce_key = ?", (key,))

    def stats(self, since: float) -> dict[str, Any]:
        """last_event_at (ever), and accepted / duplicates / rejected counts since `since`."""
        row = self.store.conn.execute(
            "SELECT "
            "(SELECT MAX(received_at) FROM webhook_events), "
            "COALESCE(SUM(CASE WHEN outcome = 'accepted' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN outcome = 'duplicate' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN outcome LIKE 'rejected%' THEN 1 ELSE 0 END), 0) "
            "FROM webhook_events WHERE received_at >= ?",
            (since,),
        ).fetchone()
        return {
            "last_event_at": row[0],
            "accepted": row[1],
            "duplicates": row[2],
            "rejected": row[3],
        }
