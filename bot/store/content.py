"""What was said in recordings: AI minutes and to-dos, chapters, transcripts, whether each can be
had yet, and full-text search over the transcripts (Chinese and English).

Content hangs off `record_files`: saving it for a file the store does not know does nothing
(returns False), and a file or recording removed from the store takes its content along.

Search: paragraphs are indexed by a trigram FTS5 table (`transcript_fts`, index only). Words of
3+ characters are exact phrase queries. Shorter words (Chinese 2-character words such as 预算)
have no trigram of their own, but every occurrence starts one (each paragraph is indexed with
two trailing spaces), so they become an OR of the trigrams the index's vocabulary lists under
them (up to _MAX_TERMS; beyond, LIKE). Words are data: they are only ever bound as quoted FTS
phrases or LIKE patterns. A very common short word costs the most: merging the index into one
segment now and then (`optimize_index`) keeps it fast.

On PostgreSQL, every word is an ILIKE pattern on the paragraph's text, which the pg_trgm GIN
index (idx_paragraphs_text_trgm) serves for words of 3+ characters. Paragraph ids follow the
same scheme on both engines (_slot), so hits come in the same order: ORDER BY id.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.meeting_content import (
    HIT_END,
    HIT_START,
    Chapter,
    Minutes,
    Transcript,
    TranscriptParagraph,
)

if TYPE_CHECKING:
    from bot.store import Db, Store

KIND_MINUTES = "minutes"
KIND_CHAPTERS = "chapters"
KIND_TRANSCRIPT = "transcript"
KINDS = (KIND_MINUTES, KIND_CHAPTERS, KIND_TRANSCRIPT)

STATE_READY = "ready"
STATE_GENERATING = "generating"  # = bot.meeting_content.CONTENT_GENERATING
STATE_OFF = "off"  # = CONTENT_OFF: noted once, not asked again
STATE_NO_STS = "no_sts"  # = CONTENT_NO_STS: asked again once a token arrives (retry_now)
STATE_ERROR = "error"
STATES = (STATE_READY, STATE_GENERATING, STATE_OFF, STATE_NO_STS, STATE_ERROR)
_RETRIED = (STATE_GENERATING, STATE_ERROR)  # the states that get a backoff by default

BACKOFF_FIRST = 120.0  # seconds before the second ask
BACKOFF_MAX = 3600.0

# Snippets mark each matched word with the pair bot/meeting_content.py names; the Slack side
# turns them into bold. They are removed from the text before marking, so they cannot be forged.
HIT_OPEN = HIT_START
HIT_CLOSE = HIT_END
SNIPPET_CHARS = 120
OPTIMIZED_KEY = "content.index_optimized_at"
OPTIMIZE_EVERY = 86400.0  # seconds: the poller merges the search index about daily
COUNT_AT_MOST = 1000  # hits counted at most: "1000+" beyond

_PG_SEARCH_INDEXES = (  # (pg_trgm GIN index, its table): see optimize_index
    ("idx_paragraphs_text_trgm", "transcript_paragraphs"),
    ("idx_meetings_subject_trgm", "record_meetings"),
)
_SHORT = 3  # words shorter than this have no trigram of their own
_MAX_TERMS = 2000  # a short word listing more trigrams than this is matched by LIKE instead
_CHUNK = 500


def backoff_seconds(attempts: int) -> float:
    """Wait before the next ask after `attempts` answers of "not yet": 2, 4, 8 ... 60 min."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class ContentStatus:
    record_file_id: str
    kind: str
    lang: str
    state: str
    attempts: int
    next_try_at: float | None
    reason: str | None
    first_seen_at: float
    updated_at: float
    fetched_at: float | None


@dataclass(frozen=True)
class DueCheck:
    """A piece of content to ask Tencent for now."""

    record_file_id: str
    meeting_record_id: str
    kind: str
    lang: str
    state: str
    attempts: int


@dataclass(frozen=True)
class Viewer:
    """Who looks at what was said (search, `/recordings summary`): see `_visible_sql`."""

    admin: bool = False
    userid: str | None = None  # the Tencent userid linked to the Slack user, if any


# The one rule for who may see a recording's content (transcript hits, minutes, chapters):
# admins and its host (the viewer's userid) always; anyone else only when the recording still
# has files and every one of them is shared with sharing on and none is for participants only.
# A file deleted in Tencent Meeting leaves the store with its content, so only the files left
# decide. `m` is the record_meetings row; the host's id is bound as the one parameter.
_MEMBER_SEES = (
    "(EXISTS (SELECT 1 FROM record_files vf WHERE vf.meeting_record_id = m.meeting_record_id)"
    " AND NOT EXISTS (SELECT 1 FROM record_files vf"
    " WHERE vf.meeting_record_id = m.meeting_record_id"
    " AND (vf.sharing_state IS DISTINCT FROM 1 OR COALESCE(vf.required_participant, 0) != 0)))"
)


def _visible_sql(viewer: Viewer) -> tuple[str, list[Any]] | None:
    """(SQL condition on `m`, its parameters) of what `viewer` may see; None: everything."""
    if viewer.admin:
        return None
    return f"(m.userid IS NOT DISTINCT FROM ? OR {_MEMBER_SEES})", [viewer.userid]


@dataclass(frozen=True)
class TranscriptHit:
    """One paragraph where every searched word occurs."""

    meeting_record_id: str
    subject: str
    media_start_time: int  # ms, the recording's
    record_file_id: str
    pid: str
    speaker_name: str
    speaker_userid: str | None
    start_ms: int  # offset into the recording file
    end_ms: int
    snippet: str  # ~120 characters, matched words between HIT_OPEN and HIT_CLOSE


# -- words ---------------------------------------------------------------------------------------
def clean_words(words: str | Iterable[str]) -> list[str]:
    """The searchable words: split on whitespace when a string, without NUL bytes or lone
    surrogates (replaced by '?', as UTF-8 cannot hold them), empty and repeated ones dropped."""
    items = words.split() if isinstance(words, str) else list(words)
    out: list[str] = []
    for word in items:
        text = str(word).encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
        text = text.strip()
        if text and text not in out:
            out.append(text)
    return out


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matcher(words: Sequence[str]) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)  # the longest alternative wins
    return re.compile("|".join(re.escape(w) for w in ordered), re.IGNORECASE)


def snippet(text: str, words: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `text` around the first matched word, every whole match
    inside marked with HIT_OPEN/HIT_CLOSE; '…' where the text was cut."""
    flat = " ".join(text.replace(HIT_OPEN, "").replace(HIT_CLOSE, "").split())
    if not words:
        return flat[:width] + ("…" if len(flat) > width else "")
    pattern = _matcher(words)
    first = pattern.search(flat)
    if first is None:
        lo = 0
    else:
        lo = max(0, first.start() - max(0, width - (first.end() - first.start())) // 2)
    hi = min(len(flat), lo + width)
    lo = max(0, hi - width)
    parts: list[str] = ["…"] if lo > 0 else []
    cursor = lo
    for match in pattern.finditer(flat, lo, hi):
        if match.end() > hi:
            break
        parts.append(flat[cursor : match.start()])
        parts.append(HIT_OPEN + match.group() + HIT_CLOSE)
        cursor = match.end()
    parts.append(flat[cursor:hi])
    if hi < len(flat):
        parts.append("…")
    return "".join(parts)


def _digest(transcript: Transcript) -> str:
    body = json.dumps(
        [
            [p.pid, p.start_ms, p.end_ms, p.speaker_name, p.speaker_userid, p.text]
            for p in transcript.paragraphs
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()


def _utf8(text: str) -> str:
    """Text SQLite can store and search whole: lone surrogates (JSON allows them, UTF-8 does
    not) become '?', and NUL bytes go (SQLite's LIKE and FTS5 stop reading at one)."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


# Paragraph ids order the search newest first without sorting: the high bits count down from
# the second the recording started (newer is smaller), the low 20 bits count up within it, so
# a recording's paragraphs come in spoken order, and recordings starting in the same second in
# the order they were saved. The index yields hits by ascending rowid, so a page never needs to
# visit every hit. (Each transcript's ids are one ascending run: its pages fill fully.)
_LOW_BITS = 20
_MAX_SECOND = (1 << 40) - 1


def _slot(second: int) -> int:
    """The first id of the slot of paragraphs of recordings starting at `second`."""
    return (_MAX_SECOND - min(_MAX_SECOND, max(0, second))) << _LOW_BITS


def _first_id(conn: Db, media_start_ms: int, count: int) -> int:
    """The id of the first of `count` paragraphs of a transcript saved now for a recording
    starting then (past the end of the table in the freak case of a full slot)."""
    base = _slot(media_start_ms // 1000)
    high = conn.execute(
        "SELECT MAX(id) FROM transcript_paragraphs WHERE id >= ? AND id < ?",
        (base, base + (1 << _LOW_BITS)),
    ).fetchone()[0]
    first = base if high is None else high + 1
    if first + count > base + (1 << _LOW_BITS):
        last = conn.execute("SELECT MAX(id) FROM transcript_paragraphs").fetchone()[0]
        first = max(first, last + 1)
    return first


class ContentRepo:
    def __init__(self, store: Store):
        self.store = store

    # -- saving ------------------------------------------------------------------------------
    def _file_meeting(self, conn: Db, record_file_id: str) -> str | None:
        row = conn.execute(
            "SELECT meeting_record_id FROM record_files WHERE record_file_id = ?",
            (record_file_id,),
        ).fetchone()
        return row[0] if row else None

    def _ready(self, conn: Db, record_file_id: str, kind: str, lang: str) -> None:
        now = self.store.now()
        conn.execute(
            "INSERT INTO content_status (record_file_id, kind, lang, state, attempts, "
            "next_try_at, reason, first_seen_at, updated_at, fetched_at) "
            "VALUES (?, ?, ?, 'ready', 1, NULL, NULL, ?, ?, ?) "
            "ON CONFLICT(record_file_id, kind, lang) DO UPDATE SET state = 'ready', "
            "attempts = content_status.attempts + 1, next_try_at = NULL, reason = NULL, "
            "updated_at = excluded.updated_at, fetched_at = excluded.fetched_at",
            (record_file_id, kind, lang, now, now, now),
        )

    def save_minutes(self, minutes: Minutes) -> bool:
        """Keep (or replace) a file's minutes and to-dos in one language; status becomes ready.
        False when the record file is unknown to the store."""
        hide = self._password_scrubber(minutes.record_file_id)
        with self.store.transaction() as conn:
            if self._file_meeting(conn, minutes.record_file_id) is None:
                return False
            conn.execute(
                "INSERT INTO content_minutes (record_file_id, lang, minute, todo, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(record_file_id, lang) DO UPDATE SET "
                "minute = excluded.minute, todo = excluded.todo, fetched_at = excluded.fetched_at",
                (
                    minutes.record_file_id,
                    minutes.lang,
                    hide(_utf8(minutes.minute)),
                    hide(_utf8(minutes.todo)),
                    self.store.now(),
                ),
            )
            self._ready(conn, minutes.record_file_id, KIND_MINUTES, minutes.lang)
        return True

    def _password_scrubber(self, record_file_id: str) -> Callable[[str], str]:
        """Text with the file's meeting password (when the store knows it: kept encrypted with
        PASSWORD_KEY) masked: content is shown to channels and members, a password never."""
        row = self.store.conn.execute(
            "SELECT password FROM record_files WHERE record_file_id = ?", (record_file_id,)
        ).fetchone()
        password = self.store.passwords.open(row[0]) if row and row[0] else None
        if not password or len(password) < 4:  # Tencent's are 4-8 letters or digits
            return lambda text: text
        return lambda text: text.replace(password, "••••")

    def get_minutes(self, record_file_id: str, lang: str = "default") -> Minutes | None:
        row = self.store.conn.execute(
            "SELECT minute, todo FROM content_minutes WHERE record_file_id = ? AND lang = ?",
            (record_file_id, lang),
        ).fetchone()
        if row is None:
            return None
        return Minutes(record_file_id=record_file_id, minute=row[0], todo=row[1], lang=lang)

    def save_chapters(
        self, record_file_id: str, chapters: Sequence[Chapter], lang: str = "default"
    ) -> bool:
        """Keep (or replace) a file's chapters in one language; status becomes ready. False
        when the record file is unknown to the store."""
        hide = self._password_scrubber(record_file_id)
        body = json.dumps(
            [[c.chapter_id, hide(_utf8(c.name)), c.start_ms] for c in chapters], ensure_ascii=False
        )
        with self.store.transaction() as conn:
            if self._file_meeting(conn, record_file_id) is None:
                return False
            conn.execute(
                "INSERT INTO content_chapters (record_file_id, lang, chapters, fetched_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(record_file_id, lang) DO UPDATE SET "
                "chapters = excluded.chapters, fetched_at = excluded.fetched_at",
                (record_file_id, lang, body, self.store.now()),
            )
            self._ready(conn, record_file_id, KIND_CHAPTERS, lang)
        return True

    def get_chapters(self, record_file_id: str, lang: str = "default") -> list[Chapter] | None:
        """The chapters in start order; None when none were ever stored ([] when there are
        none)."""
        row = self.store.conn.execute(
            "SELECT chapters FROM content_chapters WHERE record_file_id = ? AND lang = ?",
            (record_file_id, lang),
        ).fetchone()
        if row is None:
            return None
        chapters = [Chapter(chapter_id=c[0], name=c[1], start_ms=c[2]) for c in json.loads(row[0])]
        return sorted(chapters, key=lambda c: c.start_ms)

    def save_transcript(self, transcript: Transcript) -> bool:
        """Keep a file's transcript, replacing any earlier one whole (an unchanged one is left
        as it is); status becomes ready. False when the record file is unknown to the store."""
        hide = self._password_scrubber(transcript.record_file_id)
        clean = Transcript(
            record_file_id=transcript.record_file_id,
            paragraphs=tuple(
                TranscriptParagraph(
                    pid=p.pid,
                    start_ms=p.start_ms,
                    end_ms=p.end_ms,
                    speaker_name=_utf8(p.speaker_name),
                    speaker_userid=None if p.speaker_userid is None else _utf8(p.speaker_userid),
                    text=hide(_utf8(p.text)),
                )
                for p in transcript.paragraphs
            ),
            keywords=tuple(_utf8(k) for k in transcript.keywords),
            speakers_final=transcript.speakers_final,
        )
        digest = _digest(clean)
        fid = clean.record_file_id
        with self.store.transaction() as conn:
            mid = self._file_meeting(conn, fid)
            if mid is None:
                return False
            now = self.store.now()
            start = conn.execute(
                "SELECT media_start_time FROM record_meetings WHERE meeting_record_id = ?", (mid,)
            ).fetchone()[0]
            old = conn.execute(
                "SELECT id, digest FROM transcripts WHERE record_file_id = ?", (fid,)
            ).fetchone()
            head = (
                json.dumps(list(clean.keywords), ensure_ascii=False),
                int(clean.speakers_final),
                now,
            )
            if old is not None and old[1] == digest:
                conn.execute(
                    "UPDATE transcripts SET keywords = ?, speakers_final = ?, fetched_at = ? "
                    "WHERE id = ?",
                    (*head, old[0]),
                )
            else:
                if old is not None:
                    conn.execute("DELETE FROM transcripts WHERE id = ?", (old[0],))  # cascades
                tid = conn.execute(
                    "INSERT INTO transcripts (record_file_id, meeting_record_id, "
                    "media_start_time, keywords, speakers_final, fetched_at, paragraph_count, "
                    "char_count, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        fid,
                        mid,
                        start,
                        *head,
                        len(clean.paragraphs),
                        sum(len(p.text) for p in clean.paragraphs),
                        digest,
                    ),
                ).scalar()
                first = _first_id(conn, start, len(clean.paragraphs))
                conn.executemany(
                    "INSERT INTO transcript_paragraphs (id, transcript_id, pid, start_ms, end_ms, "
                    "speaker_name, speaker_userid, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            first + k,
                            tid,
                            p.pid,
                            p.start_ms,
                            p.end_ms,
                            p.speaker_name,
                            p.speaker_userid,
                            p.text,
                        )
                        for k, p in enumerate(clean.paragraphs)
                    ],
                )
            self._ready(conn, fid, KIND_TRANSCRIPT, "default")
        return True

    def get_transcript(self, record_file_id: str) -> Transcript | None:
        conn = self.store.conn
        head = conn.execute(
            "SELECT id, keywords, speakers_final FROM transcripts WHERE record_file_id = ?",
            (record_file_id,),
        ).fetchone()
        if head is None:
            return None
        paragraphs = tuple(
            TranscriptParagraph(
                pid=r[0],
                start_ms=r[1],
                end_ms=r[2],
                speaker_name=r[3],
                speaker_userid=r[4],
                text=r[5],
            )
            for r in conn.execute(
                "SELECT pid, start_ms, end_ms, speaker_name, speaker_userid, text "
                "FROM transcript_paragraphs WHERE transcript_id = ? ORDER BY id",
                (head[0],),
            )
        )
        return Transcript(
            record_file_id=record_file_id,
            paragraphs=paragraphs,
            keywords=tuple(json.loads(head[1])),
            speakers_final=bool(head[2]),
        )

    def transcript_stats(self) -> tuple[int, int, int]:
        """(transcripts, paragraphs, characters) kept."""
        row = self.store.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(paragraph_count), 0), COALESCE(SUM(char_count), 0) "
            "FROM transcripts"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])  # PostgreSQL's SUM is a Decimal

    # -- status: what to ask Tencent, and when -----------------------------------------------
    def watch(
        self,
        record_file_id: str,
        kind: str,
        *,
        lang: str = "default",
        at: float | None = None,
    ) -> bool:
        """Start looking for this content (due at `at`, default now) unless it already has a
        status. True when a new status was made."""
        _check_kind(kind)
        now = self.store.now()
        with self.store.transaction() as conn:
            if self._file_meeting(conn, record_file_id) is None:
                return False
            added = conn.execute(
                "INSERT INTO content_status (record_file_id, kind, lang, state, "
                "attempts, next_try_at, first_seen_at, updated_at) "
                "VALUES (?, ?, ?, 'generating', 0, ?, ?, ?) "
                "ON CONFLICT (record_file_id, kind, lang) DO NOTHING",
                (record_file_id, kind, lang, now if at is None else at, now, now),
            )
            return added.rowcount > 0

    def mark_status(
        self,
        record_file_id: str,
        kind: str,
        state: str,
        next_try_at: float | None = None,
        reason: str | None = None,
        *,
        lang: str = "default",
    ) -> bool:
        """Record one answer. `generating` and `error` are asked again at `next_try_at`, by
        default after a backoff growing with the attempts; `off`, `no_sts` and `ready` are not
        asked again unless `next_try_at` is given. False when the record file is unknown."""
        _check_kind(kind)
        if state not in STATES:
            raise ValueError(f"unknown content state {state!r}")
        now = self.store.now()
        with self.store.transaction() as conn:
            if self._file_meeting(conn, record_file_id) is None:
                return False
            row = conn.execute(
                "SELECT attempts FROM content_status "
                "WHERE record_file_id = ? AND kind = ? AND lang = ?",
                (record_file_id, kind, lang),
            ).fetchone()
            attempts = (row[0] if row else 0) + 1
            if next_try_at is None and state in _RETRIED:
                next_try_at = now + backoff_seconds(attempts)
            conn.execute(
                "INSERT INTO content_status (record_file_id, kind, lang, state, attempts, "
                "next_try_at, reason, first_seen_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(record_file_id, kind, lang) DO UPDATE SET state = excluded.state, "
                "attempts = excluded.attempts, next_try_at = excluded.next_try_at, "
                "reason = excluded.reason, updated_at = excluded.updated_at",
                (record_file_id, kind, lang, state, attempts, next_try_at, reason, now, now),
            )
        return True

    def status(self, record_file_id: str, kind: str, lang: str = "default") -> ContentStatus | None:
        row = self.store.conn.execute(
            "SELECT record_file_id, kind, lang, state, attempts, next_try_at, reason, "
            "first_seen_at, updated_at, fetched_at FROM content_status "
            "WHERE record_file_id = ? AND kind = ? AND lang = ?",
            (record_file_id, kind, lang),
        ).fetchone()
        return ContentStatus(*row) if row else None

    def status_counts(self) -> dict[tuple[str, str], int]:
        """{(kind, state): how many} for `status`."""
        return {
            (r[0], r[1]): r[2]
            for r in self.store.conn.execute(
                "SELECT kind, state, COUNT(*) FROM content_status GROUP BY kind, state"
            )
        }

    def due_for_check(
        self,
        kind: str,
        now: float | None = None,
        limit: int = 20,
        *,
        since: float | None = None,
    ) -> list[DueCheck]:
        """Content of this kind to ask Tencent for now (next_try_at reached), longest waiting
        first; `since`: only what started being looked for at or after then (e.g. 24 h ago)."""
        _check_kind(kind)
        now = self.store.now() if now is None else now
        sql = (
            "SELECT s.record_file_id, f.meeting_record_id, s.kind, s.lang, s.state, s.attempts "
            "FROM content_status s JOIN record_files f ON f.record_file_id = s.record_file_id "
            "WHERE s.kind = ? AND s.next_try_at IS NOT NULL AND s.next_try_at <= ?"
        )
        params: list[Any] = [kind, now]
        if since is not None:
            sql += " AND s.first_seen_at >= ?"
            params.append(since)
        sql += " ORDER BY s.next_try_at, s.record_file_id LIMIT ?"
        params.append(limit)
        return [DueCheck(*r) for r in self.store.conn.execute(sql, params)]

    def due_now(self, record_file_ids: Sequence[str], kinds: Sequence[str]) -> int:
        """Make these files' content of these kinds due at once (Tencent said it is ready),
        unless it is already kept or noted as AI off; how many. Files not watched are left."""
        for kind in kinds:
            _check_kind(kind)
        ids = list(dict.fromkeys(record_file_ids))[:_CHUNK]
        if not ids or not kinds:
            return 0
        now = self.store.now()
        sql = (
            "UPDATE content_status SET next_try_at = ?, updated_at = ? "  # noqa: S608
            f"WHERE record_file_id IN ({','.join('?' * len(ids))}) "
            f"AND kind IN ({','.join('?' * len(kinds))}) AND state NOT IN (?, ?)"
        )
        with self.store.transaction() as conn:
            return conn.execute(sql, [now, now, *ids, *kinds, STATE_READY, STATE_OFF]).rowcount

    def retry_now(self, state: str, kind: str | None = None) -> int:
        """Make content in `state` (e.g. no_sts once a token arrives) due at once; how many."""
        now = self.store.now()
        sql = "UPDATE content_status SET next_try_at = ?, updated_at = ? WHERE state = ?"
        params: list[Any] = [now, now, state]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        with self.store.transaction() as conn:
            return conn.execute(sql, params).rowcount

    # -- who sees it ---------------------------------------------------------------------------
    def visible_to(self, viewer: Viewer, meeting_record_id: str) -> bool:
        """May `viewer` see this recording's content? The rule search applies to every hit
        (`_visible_sql`); False for a recording the store does not know."""
        visible = _visible_sql(viewer)
        condition, params = visible if visible is not None else ("1 = 1", [])
        row = self.store.conn.execute(
            f"SELECT 1 FROM record_meetings m WHERE m.meeting_record_id = ? AND {condition}",  # noqa: S608
            [meeting_record_id, *params],
        ).fetchone()
        return row is not None

    # -- search --------------------------------------------------------------------------------
    def _short_terms(self, word: str) -> list[str] | None:
        """The indexed trigrams starting with a 1-2 character word; None when too many."""
        folded = word.lower()
        rows = self.store.conn.execute(
            "SELECT term FROM transcript_fts_vocab WHERE term >= ? AND term < ? LIMIT ?",
            (folded, folded + "\U0010ffff", _MAX_TERMS + 1),
        ).fetchall()
        if len(rows) > _MAX_TERMS:
            return None
        return [r[0] for r in rows]

    def _text_match(self, words: Sequence[str]) -> tuple[str, str, list[str], list[Any]] | None:
        """How paragraphs holding every word are found on this engine: (the FROM source
        naming the paragraphs `p`, the column that orders them, WHERE clauses, their
        parameters); None when nothing can match."""
        if self.store.is_postgresql:
            # pg_trgm's GIN index serves ILIKE for words of 3+ characters; shorter ones scan.
            return (
                "transcript_paragraphs p",
                "p.id",
                ["p.text ILIKE ? ESCAPE '\\'"] * len(words),
                [_like(word) for word in words],
            )
        match: list[str] = []
        likes: list[str] = []
        for word in words:
            if len(word) >= _SHORT:
                match.append(_phrase(word))
                continue
            terms = self._short_terms(word)
            if terms is None:
                likes.append(_like(word))
            elif not terms:
                return None
            else:
                match.append("(" + " OR ".join(_phrase(t) for t in terms) + ")")
        clauses = ["p.text LIKE ? ESCAPE '\\'"] * len(likes)
        if not match:
            return "transcript_paragraphs p", "p.id", clauses, likes
        # CROSS JOIN keeps the index (or the paragraphs, by id) as the outer loop.
        return (
            "transcript_fts x CROSS JOIN transcript_paragraphs p ON p.id = x.rowid",
            "x.rowid",
            ["x.transcript_fts MATCH ?", *clauses],
            [" AND ".join(match), *likes],
        )

    def _query(
        self,
        words: Sequence[str],
        start: int | None,
        end: int | None,
        viewer: Viewer | None,
    ) -> tuple[str, list[Any]] | None:
        """SELECT of the ids of paragraphs holding every word, newest first (the ids' order:
        see _slot); None when nothing can match."""
        found = self._text_match(words)
        if found is None:
            return None
        source, key, clauses, params = found
        if start is not None:  # newer seconds have smaller ids
            clauses.append(f"{key} < ?")
            params.append(_slot(start) + (1 << _LOW_BITS))
        if end is not None:
            clauses.append(f"{key} >= ?")
            params.append(_slot(end))
        visible = None if viewer is None else _visible_sql(viewer)
        if visible is not None:
            # SQLite's CROSS JOIN fixes the join order; PostgreSQL has no CROSS JOIN ... ON.
            join = "JOIN" if self.store.is_postgresql else "CROSS JOIN"
            source += (
                f" {join} transcripts t ON t.id = p.transcript_id"
                f" {join} record_meetings m ON m.meeting_record_id = t.meeting_record_id"
            )
            clauses.append(visible[0])
            params += visible[1]
        where = " AND ".join(clauses) or "1 = 1"
        sql = f"SELECT p.id FROM {source} WHERE {where} ORDER BY {key}"  # noqa: S608
        return sql, params

    def search_transcripts(
        self,
        words: str | Iterable[str],
        *,
        start: int | None = None,
        end: int | None = None,
        viewer: Viewer | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[TranscriptHit]:
        """Paragraphs holding every word (any case), newest recording first, then in spoken
        order. `start`/`end`: Unix seconds bounding the recording's start; `viewer`: whose eyes
        (None: no filter, for internal use). Costs about `offset + limit` hits, however many
        there are."""
        cleaned = clean_words(words)
        if not cleaned or limit <= 0:
            return []
        built = self._query(cleaned, start, end, viewer)
        if built is None:
            return []
        sql, params = built
        conn = self.store.conn
        ids = [
            r[0] for r in conn.execute(f"{sql} LIMIT ? OFFSET ?", [*params, limit, max(0, offset)])
        ]
        if not ids:
            return []
        rows: dict[int, Sequence[Any]] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            for row in conn.execute(
                "SELECT p.id, t.meeting_record_id, m.subject, t.media_start_time, "  # noqa: S608
                "t.record_file_id, p.pid, p.speaker_name, p.speaker_userid, p.start_ms, "
                "p.end_ms, p.text FROM transcript_paragraphs p "
                "JOIN transcripts t ON t.id = p.transcript_id "
                "JOIN record_meetings m ON m.meeting_record_id = t.meeting_record_id "
                f"WHERE p.id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                rows[row[0]] = row
        return [
            TranscriptHit(*rows[i][1:10], snippet=snippet(rows[i][10], cleaned))
            for i in ids
            if i in rows
        ]

    def count_transcript_hits(
        self,
        words: str | Iterable[str],
        *,
        start: int | None = None,
        end: int | None = None,
        viewer: Viewer | None = None,
        at_most: int = COUNT_AT_MOST,
    ) -> int:
        """How many hits `search_transcripts` has in all, counted up to `at_most` (a result
        of `at_most` reads "at_most or more"): a very common word costs no more than that."""
        cleaned = clean_words(words)
        if not cleaned or at_most <= 0:
            return 0
        built = self._query(cleaned, start, end, viewer)
        if built is None:
            return 0
        sql, params = built
        counted = f"SELECT COUNT(*) FROM ({sql} LIMIT ?) AS hits"  # noqa: S608 (words are bound)
        return self.store.conn.execute(counted, [*params, at_most]).fetchone()[0]

    def optimize_index(self) -> None:
        """Merge the search index into one segment (upkeep: after a backfill, or daily). Many
        small segments, one per saved transcript, slow 1-2 character words most.

        On PostgreSQL, the pg_trgm GIN indexes (transcripts and subjects) get their pending
        lists of fresh rows merged in and the tables their statistics: until then the planner
        prices the index as a scan of that list and reads every row instead (autovacuum does
        the same in time)."""
        with self.store.transaction() as conn:
            if self.store.is_postgresql:
                for index, table in _PG_SEARCH_INDEXES:
                    conn.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")
                    conn.execute(f"ANALYZE {table}")
            else:
                conn.execute("INSERT INTO transcript_fts(transcript_fts) VALUES ('optimize')")
            self.store.state.set(OPTIMIZED_KEY, self.store.now())

    def optimize_index_if_due(self, every: float = OPTIMIZE_EVERY) -> bool:
        """Merge the search index when the last merge is `every` seconds old (or never was);
        True when it merged. Every process may call it: the state key is shared."""
        last = self.store.state.get(OPTIMIZED_KEY)
        if isinstance(last, (int, float)) and self.store.now() - float(last) < every:
            return False
        self.optimize_index()
        return True


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown content kind {kind!r}")
