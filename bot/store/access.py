"""Requests to view a recording (`recording.apply`): the exactly-once ledger of their Slack
message, and the one decision taken on each.

One row per Tencent `apply_id`: a second copy of the event adds nothing. Posting the message is
claimed (state `posting`, `attempts` counted at each claim, so a claim after a crash knows an
earlier attempt may have posted and looks in Slack first); a decision is claimed too
(`deciding_by`), so two clicks at once call Tencent once, and a decision taken is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

NEW = "new"
POSTING = "posting"
POSTED = "posted"
FAILED = "failed"  # a Slack failure: tried again after `not_before`
UNROUTED = "unrouted"  # no host found and no ADMIN_CHANNEL: nowhere to post
GAVE_UP = "gave_up"  # Slack refused it MAX_ATTEMPTS times
CLAIM_SECONDS = 120.0  # a posting claim older than this is taken to be a dead attempt's
DECIDING_SECONDS = 60.0  # a decision claim older than this is taken to be a dead click's
MAX_ATTEMPTS = 8
APPROVED = "approved"
IGNORED = "ignored"

_COLUMNS = (
    "apply_id, meeting_record_id, meeting_id, subject, host_userid, requester_userid, "
    "requester_name, note, requested_at, state, channel, host_slack_id, ts, attempts, "
    "last_error, decision, decided_by, decided_at, created_at"
)


@dataclass(frozen=True)
class AccessRequestRow:
    apply_id: str
    meeting_record_id: str
    meeting_id: str | None
    subject: str
    host_userid: str | None
    requester_userid: str | None
    requester_name: str | None
    note: str | None
    requested_at: float
    state: str
    channel: str | None
    host_slack_id: str | None
    ts: str | None
    attempts: int
    last_error: str | None
    decision: str | None
    decided_by: str | None
    decided_at: float | None
    created_at: float


class AccessRequestRepo:
    def __init__(self, store: Store):
        self.store = store

    def add(
        self,
        *,
        apply_id: str,
        meeting_record_id: str,
        meeting_id: str | None,
        subject: str,
        host_userid: str | None,
        requester_userid: str | None,
        requester_name: str | None,
        note: str | None,
        requested_at: float | None,
    ) -> bool:
        """Keep a request; False when this `apply_id` is already kept (a repeated event)."""
        now = self.store.now()
        with self.store.transaction() as conn:
            added = conn.execute(
                "INSERT INTO access_requests (apply_id, meeting_record_id, meeting_id, subject, "
                "host_userid, requester_userid, requester_name, note, requested_at, state, "
                "created_at, updated_at) VALUES (:apply_id, :mid, :meeting_id, :subject, :host, "
                ":requester, :requester_name, :note, :requested_at, :state, :now, :now) "
                "ON CONFLICT (apply_id) DO NOTHING RETURNING apply_id",
                {
                    "apply_id": apply_id,
                    "mid": meeting_record_id,
                    "meeting_id": meeting_id,
                    "subject": subject,
                    "host": host_userid,
                    "requester": requester_userid,
                    "requester_name": requester_name,
                    "note": note,
                    "requested_at": requested_at if requested_at is not None else now,
                    "state": NEW,
                    "now": now,
                },
            ).fetchone()
            return added is not None

    def get(self, apply_id: str) -> AccessRequestRow | None:
        row = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM access_requests WHERE apply_id = ?",  # noqa: S608
            (apply_id,),
        ).fetchone()
        return AccessRequestRow(*row) if row else None

    def all(self) -> list[AccessRequestRow]:
        rows = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM access_requests ORDER BY created_at, apply_id"  # noqa: S608
        ).fetchall()
        return [AccessRequestRow(*row) for row in rows]

    def due(self, limit: int = 20) -> list[str]:
        """Requests whose message is not posted yet and may be tried now (a dead attempt's
        expired claim included)."""
        now = self.store.now()
        rows = self.store.conn.execute(
            "SELECT apply_id FROM access_requests WHERE "
            "(state IN (?, ?) AND (not_before IS NULL OR not_before <= ?)) "
            "OR (state = ? AND claimed_at < ?) ORDER BY created_at LIMIT ?",
            (NEW, FAILED, now, POSTING, now - CLAIM_SECONDS, limit),
        ).fetchall()
        return [row[0] for row in rows]

    # -- posting ---------------------------------------------------------------------------
    def claim_post(self, apply_id: str, claimer: str) -> int | None:
        """Claim the message for posting: the attempts made before (0: nothing can have been
        posted yet), or None when it is posted, claimed by a live attempt or not due."""
        now = self.store.now()
        with self.store.transaction() as conn:
            row = conn.execute(
                "UPDATE access_requests SET state = ?, claimed_by = ?, claimed_at = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE apply_id = ? AND ("
                "(state IN (?, ?) AND (not_before IS NULL OR not_before <= ?)) "
                "OR (state = ? AND claimed_at < ?)) RETURNING attempts",
                (
                    POSTING,
                    claimer,
                    now,
                    now,
                    apply_id,
                    NEW,
                    FAILED,
                    now,
                    POSTING,
                    now - CLAIM_SECONDS,
                ),
            ).fetchone()
            return None if row is None else int(row[0]) - 1

    def set_destination(self, apply_id: str, channel: str, host_slack_id: str | None) -> None:
        """Where the message goes, kept before posting (a retry looks there first)."""
        self._set(apply_id, "channel = ?, host_slack_id = ?", (channel, host_slack_id))

    def posted(self, apply_id: str, channel: str, ts: str) -> None:
        self._set(
            apply_id,
            "state = ?, channel = ?, ts = ?, claimed_by = NULL, claimed_at = NULL, "
            "last_error = NULL",
            (POSTED, channel, ts),
        )

    def post_failed(self, apply_id: str, error: str, retry_in: float) -> None:
        """Posting failed: tried again in `retry_in` seconds, or never after MAX_ATTEMPTS."""
        self._set(
            apply_id,
            "state = CASE WHEN attempts >= ? THEN ? ELSE ? END, last_error = ?, not_before = ?, "
            "claimed_by = NULL, claimed_at = NULL",
            (MAX_ATTEMPTS, GAVE_UP, FAILED, error[:200], self.store.now() + retry_in),
        )

    def unrouted(self, apply_id: str, why: str) -> None:
        self._set(
            apply_id,
            "state = ?, last_error = ?, claimed_by = NULL, claimed_at = NULL",
            (UNROUTED, why[:200]),
        )

    def _set(
        self, apply_id: str, assignments: str, params: tuple, *, undecided: bool = False
    ) -> None:
        """One UPDATE of a request's row (`undecided`: only while no decision is taken)."""
        where = "apply_id = ?" + (" AND decision IS NULL" if undecided else "")
        with self.store.transaction() as conn:
            conn.execute(
                f"UPDATE access_requests SET {assignments}, updated_at = ? WHERE {where}",  # noqa: S608
                (*params, self.store.now(), apply_id),
            )

    # -- deciding --------------------------------------------------------------------------
    def claim_decision(self, apply_id: str, slack_user_id: str) -> bool:
        """Claim the decision for one click: False when it is decided, or another click is
        being answered right now."""
        now = self.store.now()
        with self.store.transaction() as conn:
            row = conn.execute(
                "UPDATE access_requests SET deciding_by = ?, deciding_at = ?, updated_at = ? "
                "WHERE apply_id = ? AND decision IS NULL "
                "AND (deciding_at IS NULL OR deciding_at < ?) RETURNING apply_id",
                (slack_user_id, now, now, apply_id, now - DECIDING_SECONDS),
            ).fetchone()
            return row is not None

    def release_decision(self, apply_id: str) -> None:
        """The click could not be answered (Tencent refused): the request is open again."""
        self._set(apply_id, "deciding_by = NULL, deciding_at = NULL", (), undecided=True)

    def decide(self, apply_id: str, decision: str, slack_user_id: str) -> None:
        self._set(
            apply_id,
            "decision = ?, decided_by = ?, decided_at = ?, deciding_by = NULL, deciding_at = NULL",
            (decision, slack_user_id, self.store.now()),
            undecided=True,
        )
