"""The database's shape, and the migrations that bring any older database up to it.

One list of migrations serves both engines. Each is a list of statements run in one
transaction; a database from an older release is migrated at start, never recreated. The
statements are written in SQLite's words and read on PostgreSQL with a few type names changed
(`for_postgresql`): REAL is a double, INTEGER a bigint (times in ms overflow 32 bits), an
`INTEGER PRIMARY KEY` an identity column. Search indexes differ: SQLite has trigram FTS5 tables
kept by triggers (`SqliteOnly`), PostgreSQL pg_trgm GIN indexes (`PostgresqlOnly`).

The schema version is `PRAGMA user_version` on SQLite and the one row of `schema_version` on
PostgreSQL. Times are Unix seconds (REAL) unless a column name ends in `_ms` or mirrors an API
field in ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy

if TYPE_CHECKING:
    from bot.store import Store


@dataclass(frozen=True)
class SqliteOnly:
    sql: str


@dataclass(frozen=True)
class PostgresqlOnly:
    sql: str


Statement = str | SqliteOnly | PostgresqlOnly


MIGRATIONS: list[list[Statement]] = [
    # 1: the first release
    [
        # Recordings, as the API last described them.
        # `id` aliases the rowid so VACUUM can never renumber it under the FTS index.
        """CREATE TABLE record_meetings (
            id INTEGER PRIMARY KEY,
            meeting_record_id TEXT NOT NULL UNIQUE,
            meeting_id TEXT NOT NULL,
            meeting_code TEXT NOT NULL,
            userid TEXT NOT NULL,
            media_start_time INTEGER NOT NULL,   -- ms, as the API sends it
            subject TEXT NOT NULL,
            state INTEGER NOT NULL,              -- 1 recording, 2 transcoding, 3 done
            extra TEXT NOT NULL DEFAULT '{}',    -- unknown fields, JSON
            first_seen_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            completed_at REAL,                   -- when state 3 was first seen
            stuck_at REAL                        -- when it was given up on (pending too long)
        )""",
        "CREATE INDEX idx_meetings_start ON record_meetings(media_start_time)",
        "CREATE INDEX idx_meetings_userid ON record_meetings(userid, media_start_time)",
        "CREATE INDEX idx_meetings_code ON record_meetings(meeting_code)",
        "CREATE INDEX idx_meetings_pending ON record_meetings(state) WHERE state < 3",
        "CREATE INDEX idx_meetings_stuck ON record_meetings(stuck_at) WHERE stuck_at IS NOT NULL",
        """CREATE TABLE record_files (
            record_file_id TEXT PRIMARY KEY,
            meeting_record_id TEXT NOT NULL REFERENCES record_meetings(meeting_record_id)
                ON DELETE CASCADE,
            record_start_time INTEGER NOT NULL,  -- ms
            record_end_time INTEGER NOT NULL,    -- ms
            record_size INTEGER NOT NULL,
            sharing_state INTEGER NOT NULL,
            sharing_url TEXT,
            required_same_corp INTEGER,
            required_participant INTEGER,
            password TEXT,
            sharing_expire INTEGER,
            allow_download INTEGER,
            extra TEXT NOT NULL DEFAULT '{}'
            -- view_address and download_address are not stored: they expire; fetch fresh ones.
        )""",
        "CREATE INDEX idx_files_meeting ON record_files(meeting_record_id)",
        # Subject search that works for Chinese: trigram FTS5, kept in sync by triggers.
        SqliteOnly(
            """CREATE VIRTUAL TABLE record_meetings_fts USING fts5(
            subject, content='record_meetings', content_rowid='id', tokenize='trigram'
        )"""
        ),
        SqliteOnly(
            """CREATE TRIGGER record_meetings_ai AFTER INSERT ON record_meetings BEGIN
            INSERT INTO record_meetings_fts(rowid, subject) VALUES (new.rowid, new.subject);
        END"""
        ),
        SqliteOnly(
            """CREATE TRIGGER record_meetings_ad AFTER DELETE ON record_meetings BEGIN
            INSERT INTO record_meetings_fts(record_meetings_fts, rowid, subject)
                VALUES ('delete', old.rowid, old.subject);
        END"""
        ),
        SqliteOnly(
            """CREATE TRIGGER record_meetings_au AFTER UPDATE OF subject ON record_meetings
            WHEN old.subject IS NOT new.subject BEGIN
            INSERT INTO record_meetings_fts(record_meetings_fts, rowid, subject)
                VALUES ('delete', old.rowid, old.subject);
            INSERT INTO record_meetings_fts(rowid, subject) VALUES (new.rowid, new.subject);
        END"""
        ),
        # PostgreSQL: the same search through pg_trgm (case-insensitive LIKE, index-backed).
        PostgresqlOnly("CREATE EXTENSION IF NOT EXISTS pg_trgm"),
        PostgresqlOnly(
            "CREATE INDEX idx_meetings_subject_trgm ON record_meetings "
            "USING gin (subject gin_trgm_ops)"
        ),
        # Time ranges fully synced from the API: [start, end) in Unix seconds.
        """CREATE TABLE synced_ranges (
            id INTEGER PRIMARY KEY,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            synced_at REAL NOT NULL
        )""",
        'CREATE INDEX idx_synced_ranges ON synced_ranges(start, "end")',
        # Routes: which recordings go to which channel.
        """CREATE TABLE routes (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            channel_name TEXT,
            match_host TEXT,
            match_subject TEXT,
            match_subject_regex TEXT,
            match_code TEXT,
            password_policy TEXT NOT NULL DEFAULT 'button',  -- show | button | hide
            download INTEGER NOT NULL DEFAULT 0,
            is_default INTEGER NOT NULL DEFAULT 0,
            broken_reason TEXT,
            broken_at REAL,
            created_by TEXT,
            created_at REAL NOT NULL
        )""",
        # Deliveries: one row per (recording, channel), the exactly-once ledger.
        """CREATE TABLE deliveries (
            meeting_record_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            route_id INTEGER,
            state TEXT NOT NULL,          -- pending | posting | sent | failed | cancelled | skipped
            ts TEXT,                      -- the Slack message ts once sent
            files_signature TEXT,         -- which record files the posted message shows
            needs_update INTEGER NOT NULL DEFAULT 0,  -- files changed since it was posted
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            claimed_by TEXT,
            claimed_at REAL,
            not_before REAL,              -- retry no earlier than this (Retry-After)
            created_at REAL NOT NULL,
            sent_at REAL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (meeting_record_id, channel)
        )""",
        "CREATE INDEX idx_deliveries_state ON deliveries(state)",
        "CREATE INDEX idx_deliveries_route ON deliveries(route_id)",
        # The API budget, shared by every process on this database.
        """CREATE TABLE api_calls (
            id INTEGER PRIMARY KEY,
            bucket TEXT NOT NULL,         -- e.g. 'corp_records'
            at REAL NOT NULL,
            priority TEXT NOT NULL,       -- interactive | background
            pid INTEGER
        )""",
        "CREATE INDEX idx_api_calls ON api_calls(bucket, at)",
        """CREATE TABLE api_waiters (
            id INTEGER PRIMARY KEY,
            bucket TEXT NOT NULL,
            priority TEXT NOT NULL,
            since REAL NOT NULL,
            expires_at REAL NOT NULL
        )""",
        # Leases: one holder at a time (the poller), expiring if the holder dies.
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL,
            acquired_at REAL NOT NULL
        )""",
        # Small facts about the bot's health and progress (last cycle, last error, ...).
        """CREATE TABLE bot_state (
            key TEXT PRIMARY KEY,
            value TEXT,
            updated_at REAL NOT NULL
        )""",
        # Slack user -> Tencent userid, set by an admin.
        """CREATE TABLE user_links (
            slack_user_id TEXT PRIMARY KEY,
            tencent_userid TEXT NOT NULL,
            set_by TEXT,
            set_at REAL NOT NULL
        )""",
        # Slack users' facts we need (time zone, admin, guest), cached.
        """CREATE TABLE slack_users (
            user_id TEXT PRIMARY KEY,
            tz TEXT,
            is_admin INTEGER NOT NULL DEFAULT 0,
            is_guest INTEGER NOT NULL DEFAULT 0,
            email_local TEXT,
            fetched_at REAL NOT NULL
        )""",
        # Who asked for which recording's password, when.
        """CREATE TABLE password_audit (
            id INTEGER PRIMARY KEY,
            slack_user_id TEXT NOT NULL,
            meeting_record_id TEXT NOT NULL,
            record_file_id TEXT,
            channel TEXT,
            at REAL NOT NULL
        )""",
        "CREATE INDEX idx_password_audit ON password_audit(meeting_record_id, at)",
        # Webhook events received (issue: instant notifications).
        """CREATE TABLE webhook_events (
            id INTEGER PRIMARY KEY,
            received_at REAL NOT NULL,
            event TEXT,
            trace_id TEXT,
            meeting_id TEXT,
            outcome TEXT NOT NULL        -- accepted | duplicate | rejected: <reason>
        )""",
        "CREATE INDEX idx_webhook_events_at ON webhook_events(received_at)",
        """CREATE TABLE webhook_nonces (
            nonce_key TEXT PRIMARY KEY,
            seen_at REAL NOT NULL
        )""",
        "CREATE INDEX idx_webhook_nonces_at ON webhook_nonces(seen_at)",
    ],
    # 2: passwords kept only encrypted, and only when they may be shown (bot/store/passwords.py).
    # `has_password` remembers that a file has one even when it is not kept (no PASSWORD_KEY,
    # or every route says password:hide); the plaintext values are sealed or cleared at start.
    [
        "ALTER TABLE record_files ADD COLUMN has_password INTEGER NOT NULL DEFAULT 0",
        "UPDATE record_files SET has_password = 1 WHERE password IS NOT NULL AND password != ''",
    ],
    # 3: what was said (issue 11): AI minutes and to-dos, chapters, transcripts, and whether each
    # can be had yet (bot/store/content.py). Everything hangs off record_files and goes with it:
    # a file or a recording removed from the store drops its content (ON DELETE CASCADE, whose
    # deletes fire the triggers that keep the transcript index in sync).
    [
        # Per record file, kind (minutes | chapters | transcript) and language: ready, still
        # generating (ask again at next_try_at), off / no_sts (noted once, not asked again
        # until something changes), or error.
        """CREATE TABLE content_status (
            record_file_id TEXT NOT NULL REFERENCES record_files(record_file_id)
                ON DELETE CASCADE,
            kind TEXT NOT NULL,
            lang TEXT NOT NULL DEFAULT 'default',
            state TEXT NOT NULL,          -- ready | generating | off | no_sts | error
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at REAL,             -- ask again no earlier than this; NULL: do not ask
            reason TEXT,
            first_seen_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            fetched_at REAL,              -- when the content itself was last stored
            PRIMARY KEY (record_file_id, kind, lang)
        ) WITHOUT ROWID""",
        """CREATE INDEX idx_content_status_due ON content_status(kind, next_try_at)
            WHERE next_try_at IS NOT NULL""",
        """CREATE TABLE content_minutes (
            record_file_id TEXT NOT NULL REFERENCES record_files(record_file_id)
                ON DELETE CASCADE,
            lang TEXT NOT NULL DEFAULT 'default',
            minute TEXT NOT NULL,         -- Tencent's markdown, as sent (decoded)
            todo TEXT NOT NULL,
            fetched_at REAL NOT NULL,
            PRIMARY KEY (record_file_id, lang)
        ) WITHOUT ROWID""",
        """CREATE TABLE content_chapters (
            record_file_id TEXT NOT NULL REFERENCES record_files(record_file_id)
                ON DELETE CASCADE,
            lang TEXT NOT NULL DEFAULT 'default',
            chapters TEXT NOT NULL,       -- JSON [[chapter_id, name, start_ms], ...]
            fetched_at REAL NOT NULL,
            PRIMARY KEY (record_file_id, lang)
        ) WITHOUT ROWID""",
        # One row per transcribed file; its paragraphs below. media_start_time is copied from
        # the recording so search can order hits newest first without visiting every meeting.
        """CREATE TABLE transcripts (
            id INTEGER PRIMARY KEY,
            record_file_id TEXT NOT NULL UNIQUE REFERENCES record_files(record_file_id)
                ON DELETE CASCADE,
            meeting_record_id TEXT NOT NULL,
            media_start_time INTEGER NOT NULL,   -- ms, the recording's
            keywords TEXT NOT NULL DEFAULT '[]', -- JSON
            speakers_final INTEGER NOT NULL DEFAULT 1,
            paragraph_count INTEGER NOT NULL,
            char_count INTEGER NOT NULL,
            digest TEXT NOT NULL,                -- of the paragraphs: unchanged ones are kept
            fetched_at REAL NOT NULL
        )""",
        "CREATE INDEX idx_transcripts_meeting ON transcripts(meeting_record_id)",
        "CREATE INDEX idx_transcripts_start ON transcripts(media_start_time)",
        """CREATE TABLE transcript_paragraphs (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            pid TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            speaker_name TEXT NOT NULL,
            speaker_userid TEXT,
            text TEXT NOT NULL
        )""",
        "CREATE INDEX idx_paragraphs_transcript ON transcript_paragraphs(transcript_id)",
        # Full-text search over what was said, Chinese and English: trigram FTS5 holding only
        # the index (content=''; the text lives in transcript_paragraphs). Each paragraph is
        # indexed with two trailing spaces, so every occurrence of a 1-2 character word begins
        # some trigram: such words are found through the index's vocabulary (content.py).
        SqliteOnly(
            """CREATE VIRTUAL TABLE transcript_fts USING fts5(
            text, content='', tokenize='trigram'
        )"""
        ),
        SqliteOnly(
            """CREATE VIRTUAL TABLE transcript_fts_vocab USING fts5vocab(transcript_fts, 'row')"""
        ),
        SqliteOnly(
            """CREATE TRIGGER transcript_paragraphs_ai AFTER INSERT ON transcript_paragraphs BEGIN
            INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text || '  ');
        END"""
        ),
        SqliteOnly(
            """CREATE TRIGGER transcript_paragraphs_ad AFTER DELETE ON transcript_paragraphs BEGIN
            INSERT INTO transcript_fts(transcript_fts, rowid, text)
                VALUES ('delete', old.id, old.text || '  ');
        END"""
        ),
        SqliteOnly(
            """CREATE TRIGGER transcript_paragraphs_au
            AFTER UPDATE OF id, text ON transcript_paragraphs BEGIN
            INSERT INTO transcript_fts(transcript_fts, rowid, text)
                VALUES ('delete', old.id, old.text || '  ');
            INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text || '  ');
        END"""
        ),
        PostgresqlOnly(
            "CREATE INDEX idx_paragraphs_text_trgm ON transcript_paragraphs "
            "USING gin (text gin_trgm_ops)"
        ),
    ],
    # 4: what was said, posted in each recording's thread (bot/delivery/threads.py): a route's
    # `summary` option, and the exactly-once ledger of the thread replies, like `deliveries`.
    [
        "ALTER TABLE routes ADD COLUMN summary TEXT NOT NULL DEFAULT 'thread'",  # thread|off|always
        # One row per (recording, channel, record file): its minutes thread.
        """CREATE TABLE content_threads (
            meeting_record_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            record_file_id TEXT NOT NULL,
            state TEXT NOT NULL,          -- posting | posted (replies all there) | noted | skipped
            parts INTEGER,                -- how many reply messages
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            claimed_by TEXT,
            claimed_at REAL,
            not_before REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (meeting_record_id, channel, record_file_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX idx_content_threads_state ON content_threads(state)",
        # Each reply posted: its Slack ts once the post is known.
        """CREATE TABLE content_replies (
            meeting_record_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            record_file_id TEXT NOT NULL,
            part INTEGER NOT NULL,
            ts TEXT NOT NULL,
            posted_at REAL NOT NULL,
            PRIMARY KEY (meeting_record_id, channel, record_file_id, part)
        ) WITHOUT ROWID""",
    ],
    # 5: the language a route's channel gets the AI minutes and chapters in (Tencent translates).
    [
        "ALTER TABLE routes ADD COLUMN lang TEXT NOT NULL DEFAULT 'default'",  # default|zh|en|ja
    ],
    # 6: recordings deleted in Tencent Meeting (by event, or gone from a complete listing): kept,
    # with their messages edited to say so, but offered nowhere any more.
    [
        "ALTER TABLE record_meetings ADD COLUMN deleted_at REAL",
    ],
    # 7: requests to view a recording (`recording.apply`), each sent once to its host (or the
    # admin channel) with Approve / Ignore, and the one decision taken on it.
    [
        """CREATE TABLE access_requests (
            apply_id TEXT PRIMARY KEY,
            meeting_record_id TEXT NOT NULL,
            meeting_id TEXT,
            subject TEXT NOT NULL DEFAULT '',
            host_userid TEXT,             -- the recording's creator in Tencent Meeting
            requester_userid TEXT,
            requester_name TEXT,
            note TEXT,                    -- what the requester wrote (apply_spesification)
            requested_at REAL NOT NULL,   -- operate_time, else when it arrived
            state TEXT NOT NULL,          -- new|posting|posted|failed|unrouted|gave_up
            channel TEXT,                 -- where the message is (a DM's D..., or a channel)
            host_slack_id TEXT,           -- the host's Slack user, when found
            ts TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            not_before REAL,
            claimed_by TEXT,
            claimed_at REAL,
            deciding_by TEXT,             -- a click being answered (Tencent is being called)
            deciding_at REAL,
            decision TEXT,                -- approved | ignored
            decided_by TEXT,              -- the Slack user who clicked
            decided_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX idx_access_requests_state ON access_requests(state)",
    ],
    # 8: each Slack user's locale (users.info include_locale): the language of their answers.
    [
        "ALTER TABLE slack_users ADD COLUMN locale TEXT",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
MIGRATION_LOCK = "schema-migration"

_PG_TYPES = [
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\)\s*WITHOUT ROWID\s*$"), ")"),
]


class NewerSchemaError(RuntimeError):
    """The database was written by a newer release than this one."""


def for_postgresql(sql: str) -> str:
    """A statement of MIGRATIONS as PostgreSQL reads it."""
    for pattern, replacement in _PG_TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def statements_for(dialect: str, migration: list[Statement]) -> list[str]:
    """The statements of one migration that `dialect` ("sqlite" or "postgresql") runs."""
    out = []
    for statement in migration:
        if isinstance(statement, SqliteOnly):
            if dialect == "sqlite":
                out.append(statement.sql)
        elif isinstance(statement, PostgresqlOnly):
            if dialect == "postgresql":
                out.append(statement.sql)
        else:
            out.append(statement if dialect == "sqlite" else for_postgresql(statement))
    return out


def schema_version(store: Store) -> int:
    """The version the database is at (0: empty)."""
    if not store.is_postgresql:
        return int(store.conn.execute("PRAGMA user_version").scalar())
    exists = store.conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").scalar()
    if not exists:
        return 0
    return int(store.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").scalar())


def _set_version(store: Store, number: int) -> None:
    if not store.is_postgresql:
        store.conn.execute(f"PRAGMA user_version = {int(number)}")
        return
    store.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
    store.conn.execute("DELETE FROM schema_version")
    store.conn.execute("INSERT INTO schema_version (version) VALUES (:v)", {"v": number})


def check_version(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"the database is at schema version {version}, newer than this release knows "
            f"({SCHEMA_VERSION}): upgrade the bot"
        )


def migrate(store: Store) -> int:
    """Apply every migration the database lacks; returns the version it is now at."""
    check_version(schema_version(store))
    for number in range(schema_version(store) + 1, SCHEMA_VERSION + 1):
        # One transaction per migration (DDL is transactional on both engines), under the
        # write lock; re-check under it: another process may have migrated meanwhile.
        with store.transaction(lock=MIGRATION_LOCK) as conn:
            current = schema_version(store)
            check_version(current)
            if current >= number:
                continue
            for sql in statements_for(store.dialect, MIGRATIONS[number - 1]):
                conn.execute(sqlalchemy.text(sql.replace(":", "\\:")))
            _set_version(store, number)
    return schema_version(store)
