"""Recordings as the API last described them, their files, synced time ranges and search.

Addresses (view_address, download_address) are never stored: they expire, so callers fetch
fresh ones. `extra` keeps the fields the models do not name, minus anything that looks like
an address.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.models import STATE_DONE, RecordFile, RecordMeeting
from bot.store.passwords import PasswordBox

if TYPE_CHECKING:
    from bot.store import Db, Store

_CHUNK = 500  # rows per statement batch / IN (...) list
_MEETING_COLUMNS = (
    "meeting_record_id, meeting_id, meeting_code, userid, media_start_time, subject, state, extra"
)
_READ_COLUMNS = f"{_MEETING_COLUMNS}, deleted_at"
_FILE_COLUMNS = (
    "record_file_id, record_start_time, record_end_time, record_size, sharing_state, "
    "sharing_url, required_same_corp, required_participant, password, sharing_expire, "
    "allow_download, extra, has_password"
)
_UPSERT_MEETING = f"""
    INSERT INTO record_meetings ({_MEETING_COLUMNS}, first_seen_at, updated_at, completed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(meeting_record_id) DO UPDATE SET
        meeting_id = excluded.meeting_id, meeting_code = excluded.meeting_code,
        userid = excluded.userid, media_start_time = excluded.media_start_time,
        subject = excluded.subject, state = excluded.state, extra = excluded.extra,
        updated_at = excluded.updated_at, deleted_at = NULL,
        completed_at = COALESCE(record_meetings.completed_at, excluded.completed_at)
"""  # noqa: S608 (listed by Tencent: it exists, whatever was thought before)
_UPSERT_FILE = f"""
    INSERT INTO record_files (meeting_record_id, {_FILE_COLUMNS})
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(record_file_id) DO UPDATE SET
        meeting_record_id = excluded.meeting_record_id,
        record_start_time = excluded.record_start_time,
        record_end_time = excluded.record_end_time, record_size = excluded.record_size,
        sharing_state = excluded.sharing_state,
        sharing_url = COALESCE(excluded.sharing_url,
            CASE WHEN excluded.sharing_state = 0 THEN record_files.sharing_url END),
        required_same_corp = excluded.required_same_corp,
        required_participant = excluded.required_participant, password = excluded.password,
        sharing_expire = excluded.sharing_expire, allow_download = excluded.allow_download,
        extra = excluded.extra, has_password = excluded.has_password
"""  # noqa: S608


@dataclass
class SaveResult:
    """What one `save_meetings` call changed (meeting_record_ids, in input order)."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # state, subject or file set changed
    completed: list[str] = field(default_factory=list)  # became state 3 in this call
    # Of `completed`: those the store already held unfinished and not given up on (stuck), i.e.
    # recordings the bot was watching: they are posted whoever fetched them (see sync.py).
    completed_watched: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)  # completed before; file set changed
    # Completed before; what its message shows changed (subject, sharing, a kept password).
    shown_changed: list[str] = field(default_factory=list)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _extra_json(extra: dict[str, Any]) -> str:
    kept = {k: v for k, v in extra.items() if "address" not in k.lower()}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if kept else "{}"


def _extra_from(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)  # most rows have none: skip the parser


def _opt_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _opt_int(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _file_row(meeting_record_id: str, f: RecordFile, box: PasswordBox) -> tuple[Any, ...]:
    return (
        meeting_record_id,
        f.record_file_id,
        f.record_start_time,
        f.record_end_time,
        f.record_size,
        f.sharing_state,
        f.sharing_url,
        _opt_int(f.required_same_corp),
        _opt_int(f.required_participant),
        box.seal(f.password),
        f.sharing_expire,
        _opt_int(f.allow_download),
        _extra_json(f.extra),
        int(f.has_password),
    )


# Rows were written by save_meetings, so their values have the documented types and the models'
# validation takes its native fast path (measured cheaper than model_construct).
def _file_from_row(row: Sequence[Any], box: PasswordBox) -> RecordFile:
    password = box.open(row[8])
    return RecordFile(
        record_file_id=row[0],
        record_start_time=row[1],
        record_end_time=row[2],
        record_size=row[3],
        sharing_state=row[4],
        sharing_url=row[5],
        required_same_corp=_opt_bool(row[6]),
        required_participant=_opt_bool(row[7]),
        password=password,
        sharing_expire=row[9],
        allow_download=_opt_bool(row[10]),
        extra=_extra_from(row[11]),
        password_withheld=bool(row[12]) and password is None,
    )


_SHOWN_FIELDS = (
    "sharing_state",
    "sharing_url",
    "required_same_corp",
    "required_participant",
    "sharing_expire",
    "allow_download",
)


def _shown_differs(old: dict[str, RecordFile], new: Sequence[RecordFile]) -> bool:
    """Whether a message showing these files would change: their sharing, or a password the
    store kept (one it does not keep is never shown, so its change shows nothing). With
    sharing off only that counts: the store keeps the last link (a pasted one still unfurls)."""
    for file in new:
        before = old.get(file.record_file_id)
        if before is None:
            return True
        fields = _SHOWN_FIELDS if file.shared else _SHOWN_FIELDS[:1]  # sharing off: no link
        if any(getattr(before, f) != getattr(file, f) for f in fields):
            return True
        if before.password is not None and before.password != file.password:
            return True
    return False


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


_NOTHING: tuple[str | None, tuple[Any, ...], list[str]] = ("1 = 0", (), [])  # matches nothing


def _word_match(
    word: str, *, postgresql: bool = False
) -> tuple[str | None, tuple[Any, ...], list[str]]:
    """How one search word is matched, whatever it holds: (an SQL clause on `m.subject` or
    None, its parameters, the FTS5 phrases it adds).

    Words are only ever bound as parameters or quoted as FTS5 phrases, never parsed as query
    syntax. Trigram FTS indexes 3+ characters; shorter words (e.g. 周会) use LIKE. FTS5 and LIKE
    read text only up to a NUL, so a word holding one is matched with instr(), which compares
    every byte.
    """
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no stored subject holds one
        return _NOTHING
    if postgresql:  # pg_trgm's GIN index serves ILIKE for words of 3+ characters
        return "m.subject ILIKE ? ESCAPE '\\'", (f"%{_like_escape(word)}%",), []
    if "\x00" in word:
        return "instr(lower(m.subject), lower(?)) > 0", (word,), []
    if len(word) >= 3:
        return None, (), [_fts_phrase(word)]
    return "m.subject LIKE ? ESCAPE '\\'", (f"%{_like_escape(word)}%",), []


class RecordingRepo:
    def __init__(self, store: Store):
        self.store = store

    # -- saving ------------------------------------------------------------------------------
    def save_meetings(self, meetings: Iterable[RecordMeeting]) -> SaveResult:
        """Upsert meetings and their files in one transaction; report what changed."""
        latest: dict[str, RecordMeeting] = {}
        for meeting in meetings:
            latest.pop(meeting.meeting_record_id, None)  # the last description wins
            latest[meeting.meeting_record_id] = meeting
        result = SaveResult()
        if not latest:
            return result
        with self.store.transaction() as conn:
            now = self.store.now()
            for chunk in _chunks(list(latest.values())):
                self._save_chunk(conn, chunk, now, result)
        return result

    def _save_chunk(
        self, conn: Db, chunk: Sequence[RecordMeeting], now: float, out: SaveResult
    ) -> None:
        ids = [m.meeting_record_id for m in chunk]
        before = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT meeting_record_id, state, subject, completed_at, stuck_at "  # noqa: S608
                "FROM record_meetings "
                f"WHERE meeting_record_id IN ({_marks(len(ids))})",
                ids,
            )
        }
        old_files: dict[str, set[str]] = defaultdict(set)
        old_shown: dict[str, dict[str, RecordFile]] = defaultdict(dict)
        if before:
            known = list(before)
            for row in conn.execute(
                f"SELECT meeting_record_id, {_FILE_COLUMNS} FROM record_files "  # noqa: S608
                f"WHERE meeting_record_id IN ({_marks(len(known))})",
                known,
            ):
                old_files[row[0]].add(row[1])
                old_shown[row[0]][row[1]] = _file_from_row(row[1:], self.store.passwords)
        meeting_rows: list[tuple[Any, ...]] = []
        file_rows: list[tuple[Any, ...]] = []
        removed: list[tuple[str]] = []
        for m in chunk:
            mid = m.meeting_record_id
            done = m.state == STATE_DONE
            fids = {f.record_file_id for f in m.record_files}
            old = before.get(mid)
            if old is None:
                out.new.append(mid)
                if done:
                    out.completed.append(mid)
            else:
                state, subject, completed_at, stuck_at = old
                had = old_files.get(mid, set())
                # Files of an unfinished recording are only added, never removed.
                files_differ = fids != had if done else not fids <= had
                if state != m.state or subject != self._as_stored(m.subject) or files_differ:
                    out.changed.append(mid)
                if done and completed_at is None:
                    out.completed.append(mid)
                    if state is not None and state < STATE_DONE and stuck_at is None:
                        out.completed_watched.append(mid)
                elif done and fids != had:
                    out.files_changed.append(mid)
                elif done and (
                    subject != self._as_stored(m.subject)
                    or _shown_differs(old_shown.get(mid, {}), m.record_files)
                ):
                    out.shown_changed.append(mid)
                if done:
                    removed.extend((fid,) for fid in had - fids)
            meeting_rows.append(
                (
                    mid,
                    m.meeting_id,
                    m.meeting_code,
                    m.userid,
                    m.media_start_time,
                    m.subject,
                    m.state,
                    _extra_json(m.extra),
                    now,
                    now,
                    now if done else None,
                )
            )
            box = self.store.passwords
            file_rows.extend(_file_row(mid, f, box) for f in m.record_files)
        conn.executemany(_UPSERT_MEETING, meeting_rows)
        if removed:
            conn.executemany("DELETE FROM record_files WHERE record_file_id = ?", removed)
        if file_rows:
            conn.executemany(_UPSERT_FILE, file_rows)

    def _as_stored(self, text: str) -> str:
        """`text` as the database gives it back: PostgreSQL's text holds no NUL (the Db layer
        stores U+FFFD), so a subject holding one is not taken for changed at every sync."""
        if self.store.is_postgresql:
            return text.replace("\x00", "\ufffd")
        return text

    # -- reading -----------------------------------------------------------------------------
    def _build(self, rows: list[Sequence[Any]]) -> list[RecordMeeting]:
        """RecordMeetings from meeting rows (in the rows' order), with their files."""
        files: dict[str, list[RecordFile]] = defaultdict(list)
        ids = [row[0] for row in rows]
        conn = self.store.conn
        for chunk in _chunks(ids):
            for row in conn.execute(
                f"SELECT meeting_record_id, {_FILE_COLUMNS} FROM record_files "  # noqa: S608
                f"WHERE meeting_record_id IN ({_marks(len(chunk))}) "
                "ORDER BY record_start_time, record_file_id",
                list(chunk),
            ):
                files[row[0]].append(_file_from_row(row[1:], self.store.passwords))
        return [
            RecordMeeting(
                meeting_record_id=row[0],
                meeting_id=row[1],
                meeting_code=row[2],
                userid=row[3],
                media_start_time=row[4],
                subject=row[5],
                state=row[6],
                record_files=tuple(files.get(row[0], ())),
                extra=_extra_from(row[7]),
                deleted_at=row[8],
            )
            for row in rows
        ]

    def _select(self, where: str, params: Sequence[Any], tail: str = "") -> list[RecordMeeting]:
        sql = f"SELECT {_READ_COLUMNS} FROM record_meetings m WHERE {where} {tail}"  # noqa: S608
        return self._build(self.store.conn.execute(sql, params).fetchall())

    def get(self, meeting_record_id: str) -> RecordMeeting | None:
        found = self._select("meeting_record_id = ?", (meeting_record_id,))
        return found[0] if found else None

    def by_meeting_code(self, meeting_code: str, limit: int = 20) -> list[RecordMeeting]:
        """The recordings of meetings with this code, newest first (a code may be reused)."""
        if limit <= 0:
            return []
        return self._select(
            "meeting_code = ? AND deleted_at IS NULL",
            (meeting_code, limit),
            "ORDER BY media_start_time DESC LIMIT ?",
        )

    def by_sharing_url(self, url: str) -> RecordMeeting | None:
        """The recording one of whose files is shared at `url` (a trailing slash aside)."""
        bare = url.rstrip("/")
        found = self._select(
            "meeting_record_id IN (SELECT meeting_record_id FROM record_files "
            "WHERE sharing_url IN (?, ?))",
            (bare, bare + "/"),
            "ORDER BY media_start_time DESC LIMIT 1",
        )
        return found[0] if found else None

    def get_many(self, ids: Iterable[str]) -> list[RecordMeeting]:
        """The recordings with these ids that exist, in the order given."""
        wanted = list(dict.fromkeys(ids))
        by_id: dict[str, RecordMeeting] = {}
        for chunk in _chunks(wanted):
            for m in self._select(f"meeting_record_id IN ({_marks(len(chunk))})", chunk):
                by_id[m.meeting_record_id] = m
        return [by_id[i] for i in wanted if i in by_id]

    def keep_password(self, record_file_id: str, password: str) -> bool:
        """Store a password fetched fresh (encrypted; nothing without PASSWORD_KEY). The caller
        has checked the recording's routes may show it. True when it was kept."""
        sealed = self.store.passwords.seal(password)
        if sealed is None:
            return False
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE record_files SET password = ?, has_password = 1 WHERE record_file_id = ?",
                (sealed, record_file_id),
            )
        return True

    def forget_passwords(self, meeting_record_ids: Iterable[str]) -> int:
        """Drop the stored passwords of these recordings (their routes now hide them); the
        files still know they have one. Returns how many were dropped."""
        with self.store.transaction() as conn:
            return conn.executemany(
                "UPDATE record_files SET password = NULL "
                "WHERE meeting_record_id = ? AND password IS NOT NULL",
                [(mid,) for mid in meeting_record_ids],
            ).rowcount

    def with_stored_passwords(self) -> list[RecordMeeting]:
        """Recordings that have a stored password (to check them against the routes)."""
        return self._select(
            "m.meeting_record_id IN (SELECT meeting_record_id FROM record_files "
            "WHERE password IS NOT NULL)",
            (),
        )

    def completed_at(self, meeting_record_id: str) -> float | None:
        row = self.store.conn.execute(
            "SELECT completed_at FROM record_meetings WHERE meeting_record_id = ?",
            (meeting_record_id,),
        ).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return self.store.conn.execute("SELECT COUNT(*) FROM record_meetings").fetchone()[0]

    # -- listing and search ------------------------------------------------------------------
    @staticmethod
    def _filters(
        start: int | None, end: int | None, userid: str | None
    ) -> tuple[list[str], list[Any]]:
        clauses: list[str] = ["m.deleted_at IS NULL"]  # a deleted recording is offered nowhere
        params: list[Any] = []
        if start is not None:
            clauses.append("m.media_start_time >= ?")
            params.append(start * 1000)
        if end is not None:
            clauses.append("m.media_start_time <= ?")
            params.append(end * 1000)
        if userid is not None:
            clauses.append("m.userid = ?")
            params.append(userid)
        return clauses, params

    def in_range(
        self, start: int, end: int, *, userid: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[RecordMeeting]:
        """Recordings that started in [start, end] (Unix seconds), newest first."""
        clauses, params = self._filters(start, end, userid)
        return self._select(
            " AND ".join(clauses),
            [*params, limit, offset],
            "ORDER BY m.media_start_time DESC, m.id DESC LIMIT ? OFFSET ?",
        )

    def count_in_range(self, start: int, end: int, *, userid: str | None = None) -> int:
        clauses, params = self._filters(start, end, userid)
        sql = f"SELECT COUNT(*) FROM record_meetings m WHERE {' AND '.join(clauses)}"  # noqa: S608
        return self.store.conn.execute(sql, params).fetchone()[0]

    def _search_where(
        self, text: str, start: int | None, end: int | None, userid: str | None
    ) -> tuple[str, list[Any]]:
        clauses, params = self._filters(start, end, userid)
        phrases: list[str] = []
        for word in text.split():
            clause, values, fts = _word_match(word, postgresql=self.store.is_postgresql)
            phrases += fts
            if clause:
                clauses.append(clause)
                params += values
        if phrases:
            clauses.append(
                "m.id IN (SELECT rowid FROM record_meetings_fts WHERE record_meetings_fts MATCH ?)"
            )
            params.append(" AND ".join(phrases))
        return " AND ".join(clauses) or "1 = 1", params

    def search(
        self,
        text: str,
        *,
        start: int | None = None,
        end: int | None = None,
        userid: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RecordMeeting]:
        """Recordings whose subject contains every word of `text` (any case), newest first."""
        where, params = self._search_where(text, start, end, userid)
        return self._select(
            where,
            [*params, limit, offset],
            "ORDER BY m.media_start_time DESC, m.id DESC LIMIT ? OFFSET ?",
        )

    def count_search(
        self,
        text: str,
        *,
        start: int | None = None,
        end: int | None = None,
        userid: str | None = None,
    ) -> int:
        where, params = self._search_where(text, start, end, userid)
        sql = f"SELECT COUNT(*) FROM record_meetings m WHERE {where}"  # noqa: S608
        return self.store.conn.execute(sql, params).fetchone()[0]

    # -- deleted in Tencent Meeting -----------------------------------------------------------
    def mark_deleted(self, meeting_record_ids: Iterable[str]) -> list[str]:
        """These recordings were deleted in Tencent Meeting: keep them, marked, so that their
        messages are edited to say so (flagged here) and nothing offers them any more; their
        undelivered posts are cancelled. Returns the ids newly marked (a repeat changes
        nothing)."""
        marked: list[str] = []
        with self.store.transaction() as conn:
            now = self.store.now()
            for mid in dict.fromkeys(meeting_record_ids):
                changed = conn.execute(
                    "UPDATE record_meetings SET deleted_at = ?, updated_at = ? "
                    "WHERE meeting_record_id = ? AND deleted_at IS NULL",
                    (now, now, mid),
                ).rowcount
                if changed:
                    marked.append(mid)
                    # What was said goes with it: transcript search shows it no more.
                    conn.execute("DELETE FROM transcripts WHERE meeting_record_id = ?", (mid,))
                    self.store.deliveries.cancel_for_recording(mid)
            self.store.deliveries.flag_for_update(marked)
        return marked

    def gone_from_listing(self, start: int, end: int, listed: Iterable[str]) -> list[str]:
        """Ids of the recordings the store holds that lie wholly inside [start, end] (Unix
        seconds: their start and every file's end) and that a complete listing of that window
        (`listed`) did not return. Whatever time Tencent's range filter reads, a recording
        wholly inside the window is in its listing unless it was deleted."""
        seen = set(listed)
        rows = self.store.conn.execute(
            "SELECT m.meeting_record_id FROM record_meetings m WHERE m.deleted_at IS NULL "
            "AND m.media_start_time >= ? AND m.media_start_time <= ? "
            "AND NOT EXISTS (SELECT 1 FROM record_files f WHERE "
            "f.meeting_record_id = m.meeting_record_id AND f.record_end_time > ?)",
            (start * 1000, end * 1000, end * 1000),
        )
        return [row[0] for row in rows if row[0] not in seen]

    def ids_of_files(self, record_file_ids: Iterable[str]) -> dict[str, set[str]]:
        """{meeting_record_id: the given record_file_ids it has}, for the ids the store knows."""
        wanted = list(dict.fromkeys(record_file_ids))
        found: dict[str, set[str]] = defaultdict(set)
        for chunk in _chunks(wanted):
            for mid, fid in self.store.conn.execute(
                "SELECT meeting_record_id, record_file_id FROM record_files "  # noqa: S608
                f"WHERE record_file_id IN ({_marks(len(chunk))})",
                list(chunk),
            ):
                found[mid].add(fid)
        return dict(found)

    # -- unfinished recordings ---------------------------------------------------------------
    def pending(self, now: float, max_age_hours: float) -> list[RecordMeeting]:
        """Unfinished, not given up on, started within `max_age_hours`; oldest first."""
        return self._select(
            "m.state < 3 AND m.stuck_at IS NULL AND m.deleted_at IS NULL "
            "AND m.media_start_time >= ?",
            (int((now - max_age_hours * 3600) * 1000),),
            "ORDER BY m.media_start_time, m.id",
        )

    def overdue(self, now: float, max_age_hours: float) -> list[str]:
        """Ids of unfinished recordings older than `max_age_hours` not yet marked stuck."""
        return [
            row[0]
            for row in self.store.conn.execute(
                "SELECT meeting_record_id FROM record_meetings WHERE state < 3 "
                "AND stuck_at IS NULL AND media_start_time < ? ORDER BY media_start_time",
                (int((now - max_age_hours * 3600) * 1000),),
            )
        ]

    def mark_stuck(self, ids: Iterable[str]) -> int:
        """Give up on these unfinished recordings; returns how many were marked."""
        with self.store.transaction() as conn:
            now = self.store.now()
            return conn.executemany(
                "UPDATE record_meetings SET stuck_at = ? "
                "WHERE meeting_record_id = ? AND state < 3 AND stuck_at IS NULL",
                [(now, i) for i in ids],
            ).rowcount

    def stuck(self) -> list[RecordMeeting]:
        """Recordings given up on that are still unfinished, oldest first."""
        return self._select(
            "m.stuck_at IS NOT NULL AND m.state < 3", (), "ORDER BY m.media_start_time, m.id"
        )

    def pending_count(self) -> int:
        return self.store.conn.execute(
            "SELECT COUNT(*) FROM record_meetings "
            "WHERE state < 3 AND stuck_at IS NULL AND deleted_at IS NULL"
        ).fetchone()[0]

    # -- synced ranges: [start, end) in Unix seconds -----------------------------------------
    def mark_synced(self, start: int, end: int) -> None:
        """Record [start, end) as fully synced, merging overlapping or adjacent ranges."""
        if end <= start:
            return
        with self.store.transaction() as conn:
            rows = conn.execute(
                'SELECT id, start, "end" FROM synced_ranges WHERE start <= ? AND "end" >= ?',
                (end, start),
            ).fetchall()
            lo = min([start, *(r[1] for r in rows)])
            hi = max([end, *(r[2] for r in rows)])
            conn.executemany("DELETE FROM synced_ranges WHERE id = ?", [(r[0],) for r in rows])
            conn.execute(
                'INSERT INTO synced_ranges (start, "end", synced_at) VALUES (?, ?, ?)',
                (lo, hi, self.store.now()),
            )

    def missing_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of [start, end) no synced range covers, in order."""
        gaps: list[tuple[int, int]] = []
        cursor = start
        for lo, hi in self.store.conn.execute(
            'SELECT start, "end" FROM synced_ranges WHERE start < ? AND "end" > ? ORDER BY start',
            (end, start),
        ):
            if lo > cursor:
                gaps.append((cursor, lo))
            cursor = max(cursor, hi)
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    def is_synced(self, start: int, end: int) -> bool:
        return not self.missing_ranges(start, end)

    def synced_until(self) -> int | None:
        """The end of the latest synced range, or None before any sync."""
        return self.store.conn.execute('SELECT MAX("end") FROM synced_ranges').fetchone()[0]
