"""Slack users' cached facts, Slack -> Tencent user links, and the password audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store


@dataclass(frozen=True)
class CachedUser:
    user_id: str
    tz: str | None
    is_admin: bool
    is_guest: bool
    email_local: str | None
    fetched_at: float
    locale: str | None = None  # Slack's, e.g. "zh-CN"


class UserRepo:
    def __init__(self, store: Store):
        self.store = store

    def cache_user(
        self,
        user_id: str,
        *,
        tz: str | None,
        is_admin: bool,
        is_guest: bool,
        email_local: str | None,
        locale: str | None = None,
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO slack_users (user_id, tz, is_admin, is_guest, email_local, "
                "fetched_at, locale) VALUES (:user_id, :tz, :is_admin, :is_guest, "
                ":email_local, :fetched_at, :locale) "
                "ON CONFLICT (user_id) DO UPDATE SET tz = excluded.tz, "
                "is_admin = excluded.is_admin, is_guest = excluded.is_guest, "
                "email_local = excluded.email_local, fetched_at = excluded.fetched_at, "
                "locale = excluded.locale",
                {
                    "locale": locale,
                    "user_id": user_id,
                    "tz": tz,
                    "is_admin": int(is_admin),
                    "is_guest": int(is_guest),
                    "email_local": email_local,
                    "fetched_at": self.store.now(),
                },
            )

    def cached_user(self, user_id: str, max_age: float) -> CachedUser | None:
        """The cached facts if fetched less than `max_age` seconds ago."""
        row = self.store.conn.execute(
            "SELECT user_id, tz, is_admin, is_guest, email_local, fetched_at, locale "
            "FROM slack_users WHERE user_id = ? AND fetched_at >= ?",
            (user_id, self.store.now() - max_age),
        ).fetchone()
        if row is None:
            return None
        return CachedUser(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6])

    def link(self, slack_user_id: str, tencent_userid: str, *, set_by: str | None) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO user_links (slack_user_id, tencent_userid, set_by, set_at) "
                "VALUES (:slack_user_id, :tencent_userid, :set_by, :set_at) "
                "ON CONFLICT (slack_user_id) DO UPDATE SET "
                "tencent_userid = excluded.tencent_userid, set_by = excluded.set_by, "
                "set_at = excluded.set_at",
                {
                    "slack_user_id": slack_user_id,
                    "tencent_userid": tencent_userid,
                    "set_by": set_by,
                    "set_at": self.store.now(),
                },
            )

    def unlink(self, slack_user_id: str) -> bool:
        with self.store.transaction() as conn:
            cur = conn.execute("DELETE FROM user_links WHERE slack_user_id = ?", (slack_user_id,))
            return cur.rowcount == 1

    def linked_userid(self, slack_user_id: str) -> str | None:
        row = self.store.conn.execute(
            "SELECT tencent_userid FROM user_links WHERE slack_user_id = ?", (slack_user_id,)
        ).fetchone()
        return row[0] if row else None

    def slack_users_of(self, tencent_userid: str) -> list[str]:
        """The Slack users linked to this Tencent userid, else those whose cached e-mail
        address starts with it (the `/recordings mine` convention)."""
        conn = self.store.conn
        rows = conn.execute(
            "SELECT slack_user_id FROM user_links WHERE tencent_userid = ? ORDER BY set_at",
            (tencent_userid,),
        ).fetchall()
        if not rows:
            rows = conn.execute(
                "SELECT user_id FROM slack_users WHERE email_local = ? AND is_guest = 0 "
                "ORDER BY user_id",
                (tencent_userid,),
            ).fetchall()
        return [row[0] for row in rows]

    def links(self) -> list[dict[str, Any]]:
        """Every link, by Slack user id."""
        rows = self.store.conn.execute("SELECT * FROM user_links ORDER BY slack_user_id")
        return [dict(row._mapping) for row in rows]

    def audit_password(
        self,
        slack_user_id: str,
        meeting_record_id: str,
        record_file_id: str | None,
        channel: str | None,
    ) -> None:
        """Record that someone was shown a recording's password (never the password itself)."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO password_audit (slack_user_id, meeting_record_id, record_file_id, "
                "channel, at) VALUES (?, ?, ?, ?, ?)",
                (slack_user_id, meeting_record_id, record_file_id, channel, self.store.now()),
            )

    def password_audit(self, meeting_record_id: str | None = None) -> list[dict[str, Any]]:
        """Audit rows (oldest first), for one recording or all."""
        sql = "SELECT * FROM password_audit"
        params: tuple[Any, ...] = ()
        if meeting_record_id is not None:
            sql += " WHERE meeting_record_id = ?"
            params = (meeting_record_id,)
        return [
            dict(row._mapping) for row in self.store.conn.execute(sql + " ORDER BY at, id", params)
        ]
