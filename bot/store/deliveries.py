"""The exactly-once delivery ledger: one row per (recording, channel).

A sender claims a row (pending/failed -> posting) in one BEGIN IMMEDIATE transaction, so two
threads or processes can never both post it. A claim expires after `claim_ttl` seconds; the
next claimer then sees the previous state was 'posting' (it may have posted before a crash)
and can look for that message before posting again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

PENDING = "pending"
POSTING = "posting"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
SKIPPED = "skipped"
STATES = (PENDING, POSTING, SENT, FAILED, CANCELLED, SKIPPED)
CLAIM_TTL = 120.0
_EDITING = 2  # needs_update while an edit is on its way to Slack
_MAX_ERROR = 500

_COLUMNS = (
    "meeting_record_id, channel, route_id, state, ts, files_signature, attempts, last_error, "
    "claimed_by, claimed_at, not_before, created_at, sent_at, needs_update"
)
# Ties in time are broken by the key (PostgreSQL has no rowid).
_KEY_ORDER = "meeting_record_id, channel"
# Rows a sender may take now: params (now, now - claim_ttl).
_CLAIMABLE = (
    "((state IN ('pending', 'failed') AND (not_before IS NULL OR not_before <= ?)) "
    "OR (state = 'posting' AND (claimed_at IS NULL OR claimed_at <= ?)))"
)


@dataclass(frozen=True)
class Delivery:
    meeting_record_id: str
    channel: str
    route_id: int | None
    state: str
    ts: str | None
    files_signature: str | None
    attempts: int
    last_error: str | None
    claimed_by: str | None
    claimed_at: float | None
    not_before: float | None
    created_at: float
    sent_at: float | None
    needs_update: bool = False  # sent, but what its message shows changed since
    edit_started: bool = False  # an edit was sent for it, perhaps not done (a crash)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(*row[:-1], needs_update=bool(row[-1]), edit_started=row[-1] == _EDITING)


class DeliveryRepo:
    def __init__(self, store: Store):
        self.store = store

    def _rows(self, where: str, params: Sequence[Any], tail: str = "") -> list[Delivery]:
        sql = f"SELECT {_COLUMNS} FROM deliveries WHERE {where} {tail}"  # noqa: S608
        return [_delivery(row) for row in self.store.conn.execute(sql, params)]

    def plan(
        self,
        meeting_record_id: str,
        targets: list[tuple[str, int | None]],
        *,
        state: str = PENDING,
    ) -> int:
        """One row per (recording, channel) from (channel, route_id) pairs; returns rows added."""
        if state not in STATES:
            raise ValueError(f"unknown delivery state {state!r}")
        with self.store.transaction() as conn:
            now = self.store.now()
            return sum(
                conn.execute(
                    "INSERT INTO deliveries (meeting_record_id, channel, route_id, state, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (meeting_record_id, ch, route_id, state, now, now),
                ).rowcount
                for ch, route_id in targets
            )

    def due(
        self,
        now: float,
        limit: int = 100,
        *,
        claim_ttl: float = CLAIM_TTL,
        claimed_too: bool = False,
    ) -> list[Delivery]:
        """Rows a sender may claim now, oldest first. `claimed_too` adds the rows claimed and
        not yet expired, for a sender that takes over the claims of dead claimers
        (`claim(..., live_claims_only=True)` decides)."""
        where = f"({_CLAIMABLE} OR state = 'posting')" if claimed_too else _CLAIMABLE
        return self._rows(
            where,
            (now, now - claim_ttl, limit),
            f"ORDER BY created_at, {_KEY_ORDER} LIMIT ?",
        )

    def claim(
        self,
        meeting_record_id: str,
        channel: str,
        claimer: str,
        *,
        claim_ttl: float = CLAIM_TTL,
        live_claims_only: bool = False,
    ) -> Delivery | None:
        """Take the row for posting; returns it as it was BEFORE the claim, or None if taken.

        With `live_claims_only` (the deliverer, which holds its own liveness lock: see
        `Store.hold_claims`), a claim whose claimer certainly died is taken over after
        `Store.dead_claim`'s grace instead of when it expires; the caller then looks for the
        message it may have posted.
        """
        key = (meeting_record_id, channel)
        # No table-wide lock: the row's own lock decides. A row another replica is claiming
        # right now is skipped (PostgreSQL: FOR UPDATE SKIP LOCKED); SQLite has one writer.
        with self.store.transaction(lock=None) as conn:
            now = self.store.now()
            found = self._rows("meeting_record_id = ? AND channel = ?", key, conn.skip_locked)
            if not found:
                return None
            row = found[0]
            if (
                live_claims_only
                and row.state == POSTING
                and (row.claimed_at or 0) > now - claim_ttl  # else it is claimable anyway
                and self.store.dead_claim(row.claimed_by, row.claimed_at, claimer)
            ):
                log.info("delivery %s to %s: %s is gone; taking over", *key, row.claimed_by)
                where, params = "state = 'posting' AND claimed_by = ?", (row.claimed_by,)
            else:
                where, params = _CLAIMABLE, (now, now - claim_ttl)
            cur = conn.execute(
                "UPDATE deliveries SET state = 'posting', attempts = attempts + 1, "  # noqa: S608
                "claimed_by = ?, claimed_at = ?, updated_at = ? "
                f"WHERE meeting_record_id = ? AND channel = ? AND {where}",
                (claimer, now, now, *key, *params),
            )
            return row if cur.rowcount == 1 else None

    def mark_sent(
        self, meeting_record_id: str, channel: str, ts: str, files_signature: str | None
    ) -> None:
        with self.store.transaction() as conn:
            now = self.store.now()
            conn.execute(
                "UPDATE deliveries SET state = 'sent', ts = ?, files_signature = ?, sent_at = ?, "
                "last_error = NULL, not_before = NULL, needs_update = 0, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ?",
                (ts, files_signature, now, now, meeting_record_id, channel),
            )

    def mark_failed(
        self,
        meeting_record_id: str,
        channel: str,
        error: str,
        *,
        not_before: float | None = None,
    ) -> bool:
        """An attempt failed (retryable): keep the error, retry no earlier than `not_before`.

        Only an undelivered row changes (a row cancelled meanwhile stays cancelled).
        """
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ?, not_before = ?, "
                "claimed_by = NULL, claimed_at = NULL, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ? "
                "AND state IN ('pending', 'posting', 'failed')",
                (error[:_MAX_ERROR], not_before, self.store.now(), meeting_record_id, channel),
            )
            return cur.rowcount == 1

    def release(
        self, meeting_record_id: str, channel: str, *, not_before: float | None = None
    ) -> bool:
        """Give a claim back (posting -> pending) without counting an error or an attempt."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET state = 'pending', claimed_by = NULL, claimed_at = NULL, "
                "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                "not_before = ?, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ? AND state = 'posting'",
                (not_before, self.store.now(), meeting_record_id, channel),
            )
            return cur.rowcount == 1

    def flag_for_update(self, meeting_record_ids: Iterable[str]) -> int:
        """These recordings' files changed: their sent messages need editing. Returns rows."""
        with self.store.transaction() as conn:
            now = self.store.now()
            return sum(
                conn.execute(
                    "UPDATE deliveries SET needs_update = 1, updated_at = ? "
                    "WHERE meeting_record_id = ? AND state = 'sent' AND needs_update = 0",
                    (now, mid),
                ).rowcount
                for mid in meeting_record_ids
            )

    def needing_update(self, limit: int = 100) -> list[Delivery]:
        """Sent messages flagged by `flag_for_update`, oldest flag first."""
        tail = f"ORDER BY updated_at, {_KEY_ORDER} LIMIT ?"
        return self._rows("state = 'sent' AND needs_update > 0", (limit,), tail)

    def edit_refused(self, meeting_record_id: str, channel: str) -> None:
        """Slack refused the edit: nothing changed there, so the next try need not check."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET needs_update = 1, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ? AND needs_update = ?",
                (self.store.now(), meeting_record_id, channel, _EDITING),
            )

    def edit_starting(self, meeting_record_id: str, channel: str) -> None:
        """An edit of this message goes to Slack now: until `update_signature`, a restart
        checks the message before editing it again."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET needs_update = ?, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ? AND needs_update > 0",
                (_EDITING, self.store.now(), meeting_record_id, channel),
            )

    def update_signature(self, meeting_record_id: str, channel: str, files_signature: str) -> None:
        """The posted message was edited to show another set of files (clears the flag)."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET files_signature = ?, needs_update = 0, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ?",
                (files_signature, self.store.now(), meeting_record_id, channel),
            )

    def get(self, meeting_record_id: str, channel: str) -> Delivery | None:
        found = self._rows("meeting_record_id = ? AND channel = ?", (meeting_record_id, channel))
        return found[0] if found else None

    def sent_for(self, meeting_record_id: str) -> list[Delivery]:
        return self._rows(
            "meeting_record_id = ? AND state = 'sent'", (meeting_record_id,), "ORDER BY channel"
        )

    def cancel_for_route(self, route_id: int) -> int:
        """Cancel the route's undelivered rows; returns how many."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET state = 'cancelled', claimed_by = NULL, claimed_at = NULL, "
                "updated_at = ? WHERE route_id = ? AND state IN ('pending', 'posting', 'failed')",
                (self.store.now(), route_id),
            )
            return cur.rowcount

    def cancel_for_recording(self, meeting_record_id: str) -> int:
        """Cancel the recording's posts not yet claimed (it was deleted); returns how many.
        One being posted right now is left to its claimer."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET state = 'cancelled', claimed_by = NULL, claimed_at = NULL, "
                "updated_at = ? WHERE meeting_record_id = ? AND state IN ('pending', 'failed')",
                (self.store.now(), meeting_record_id),
            )
            return cur.rowcount

    def counts(self) -> dict[str, int]:
        """Rows per state (every state present, zero if none)."""
        out = dict.fromkeys(STATES, 0)
        for state, n in self.store.conn.execute(
            "SELECT state, COUNT(*) FROM deliveries GROUP BY state"
        ):
            out[state] = n
        return out

    def undelivered(self) -> list[Delivery]:
        return self._rows(
            "state IN ('pending', 'posting', 'failed')", (), f"ORDER BY created_at, {_KEY_ORDER}"
        )
