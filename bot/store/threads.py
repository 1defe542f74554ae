"""The exactly-once ledger of the thread replies carrying a recording's minutes (issue 11).

One row per (recording, channel, record file) in `content_threads`, claimed before posting
(state `posting`, `attempts` counted at each claim, so a claim after a crash or a failure knows an
earlier attempt may have posted); each reply posted is kept in `content_replies` with its ts.
Once every reply is there the row is `posted`, and `noted` once the parent message says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

POSTING = "posting"
POSTED = "posted"  # every reply is in the thread; the parent's note is next
NOTED = "noted"  # done
FAILED = "failed"  # given up on after MAX_ATTEMPTS
DONE_STATES = (NOTED, FAILED)
CLAIM_SECONDS = 600.0  # a claim older than this is taken to be a dead attempt's
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class ThreadCandidate:
    """A sent recording message whose file's minutes may go in its thread."""

    meeting_record_id: str
    channel: str
    route_id: int | None
    parent_ts: str
    record_file_id: str
    state: str | None  # the thread's ledger state, None before the first claim


class ThreadRepo:
    def __init__(self, store: Store):
        self.store = store

    def candidates(self, since: float, limit: int = 50) -> list[ThreadCandidate]:
        """Messages sent since then, of files whose minutes are watched, not yet done."""
        rows = self.store.conn.execute(
            "SELECT d.meeting_record_id, d.channel, d.route_id, d.ts, f.record_file_id, t.state "
            "FROM deliveries d "
            "JOIN record_files f ON f.meeting_record_id = d.meeting_record_id "
            "JOIN content_status s ON s.record_file_id = f.record_file_id "
            "  AND s.kind = 'minutes' AND s.lang = 'default' "
            "LEFT JOIN content_threads t ON t.meeting_record_id = d.meeting_record_id "
            "  AND t.channel = d.channel AND t.record_file_id = f.record_file_id "
            "WHERE d.state = 'sent' AND d.ts IS NOT NULL AND d.sent_at >= ? "
            "  AND (t.state IS NULL OR t.state NOT IN (?, ?)) "
            "ORDER BY d.sent_at, f.record_start_time, f.record_file_id LIMIT ?",
            (since, *DONE_STATES, limit),
        ).fetchall()
        return [ThreadCandidate(*row) for row in rows]

    def claim(
        self,
        meeting_record_id: str,
        channel: str,
        record_file_id: str,
        claimer: str,
        *,
        live_claims_only: bool = False,
    ) -> int | None:
        """Claim the thread for posting: the attempts made before (0: nothing can have been
        posted), or None when it is done, posted, claimed by a live attempt or not due yet.
        With `live_claims_only`, a claim whose claimer certainly died is taken over after
        `Store.dead_claim`'s grace (as in `DeliveryRepo.claim`)."""
        now = self.store.now()
        key = (meeting_record_id, channel, record_file_id)
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT state, attempts, claimed_by, claimed_at, not_before FROM content_threads "
                "WHERE meeting_record_id = ? AND channel = ? AND record_file_id = ?",
                key,
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO content_threads (meeting_record_id, channel, record_file_id, "
                    "state, attempts, claimed_by, claimed_at, created_at, updated_at) "
                    "VALUES (?, ?, ?, 'posting', 1, ?, ?, ?, ?)",
                    (*key, claimer, now, now, now),
                )
                return 0
            state, attempts, claimed_by, claimed_at, not_before = row
            if state != POSTING:
                return None
            unexpired = claimed_by is not None and (claimed_at or 0) > now - CLAIM_SECONDS
            if unexpired and not (
                live_claims_only and self.store.dead_claim(claimed_by, claimed_at, claimer)
            ):
                return None
            if not_before is not None and not_before > now:
                return None
            conn.execute(
                "UPDATE content_threads SET attempts = attempts + 1, claimed_by = ?, "
                "claimed_at = ?, updated_at = ? "
                "WHERE meeting_record_id = ? AND channel = ? AND record_file_id = ?",
                (claimer, now, now, *key),
            )
            return int(attempts)

    def replies(self, meeting_record_id: str, channel: str, record_file_id: str) -> dict[int, str]:
        """{part: ts} of the replies known to be posted."""
        rows = self.store.conn.execute(
            "SELECT part, ts FROM content_replies "
            "WHERE meeting_record_id = ? AND channel = ? AND record_file_id = ?",
            (meeting_record_id, channel, record_file_id),
        )
        return {int(part): str(ts) for part, ts in rows}

    def record_reply(
        self, meeting_record_id: str, channel: str, record_file_id: str, part: int, ts: str
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO content_replies (meeting_record_id, channel, "
                "record_file_id, part, ts, posted_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (meeting_record_id, channel, record_file_id, part) "
                "DO UPDATE SET ts = excluded.ts, posted_at = excluded.posted_at",
                (meeting_record_id, channel, record_file_id, part, ts, self.store.now()),
            )

    def set_state(
        self,
        meeting_record_id: str,
        channel: str,
        record_file_id: str,
        state: str,
        *,
        parts: int | None = None,
        error: str | None = None,
        not_before: float | None = None,
    ) -> None:
        """Record an outcome and release the claim."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE content_threads SET state = ?, parts = COALESCE(?, parts), "
                "last_error = ?, not_before = ?, claimed_by = NULL, claimed_at = NULL, "
                "updated_at = ? WHERE meeting_record_id = ? AND channel = ? "
                "AND record_file_id = ?",
                (
                    state,
                    parts,
                    error,
                    not_before,
                    self.store.now(),
                    meeting_record_id,
                    channel,
                    record_file_id,
                ),
            )

    def state(self, meeting_record_id: str, channel: str, record_file_id: str) -> str | None:
        row = self.store.conn.execute(
            "SELECT state FROM content_threads "
            "WHERE meeting_record_id = ? AND channel = ? AND record_file_id = ?",
            (meeting_record_id, channel, record_file_id),
        ).fetchone()
        return row[0] if row else None

    def attempts(self, meeting_record_id: str, channel: str, record_file_id: str) -> int:
        row = self.store.conn.execute(
            "SELECT attempts FROM content_threads "
            "WHERE meeting_record_id = ? AND channel = ? AND record_file_id = ?",
            (meeting_record_id, channel, record_file_id),
        ).fetchone()
        return int(row[0]) if row else 0

    def noted(self, meeting_record_id: str, channel: str) -> bool:
        """The recording's message in the channel says its minutes are in the thread."""
        return (
            self.store.conn.execute(
                "SELECT 1 FROM content_threads WHERE meeting_record_id = ? AND channel = ? "
                "AND state = ? LIMIT 1",
                (meeting_record_id, channel, NOTED),
            ).fetchone()
            is not None
        )
