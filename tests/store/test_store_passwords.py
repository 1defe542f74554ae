"""Meeting passwords at rest: encrypted with PASSWORD_KEY, none without one, an unreadable
value read as absent, and older plaintext rows sealed or cleared at start."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bot.models import RecordFile, RecordMeeting
from bot.store import open_store
from bot.store.passwords import PREFIX
from bot.store.schema import MIGRATIONS, statements_for
from tests.store.conftest import PASSWORD_KEY

SECRET = "Pw-9931-at-rest"  # noqa: S105 (a test meeting's password)


def with_password(mid: str = "r1", password: str = SECRET) -> RecordMeeting:
    file = RecordFile(
        record_file_id=f"{mid}-f",
        record_start_time=1_000_000,
        record_end_time=1_060_000,
        record_size=1000,
        sharing_state=1,
        password=password,
    )
    return RecordMeeting(
        meeting_record_id=mid,
        meeting_id="m-" + mid,
        meeting_code="123456789",
        userid="alice",
        media_start_time=1_000_000,
        subject="Board review",
        state=3,
        record_files=(file,),
    )


def stored(path: Path) -> list[tuple[str | None, int]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT password, has_password FROM record_files").fetchall()
    finally:
        conn.close()


def raw_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_with_a_key_the_password_is_stored_encrypted_and_read_back(tmp_path) -> None:
    path = tmp_path / "bot.db"
    store = open_store(path, password_key=PASSWORD_KEY)
    store.recordings.save_meetings([with_password()])
    got = store.recordings.get("r1")
    assert got is not None and got.record_files[0].password == SECRET
    store.close()
    ((value, has),) = stored(path)
    assert value.startswith(PREFIX) and SECRET not in value and has == 1
    assert SECRET.encode() not in raw_bytes(path)


def test_without_a_key_no_password_is_stored_but_the_file_knows_it_has_one(tmp_path) -> None:
    path = tmp_path / "bot.db"
    store = open_store(path)
    store.recordings.save_meetings([with_password()])
    file = store.recordings.get("r1").record_files[0]
    assert file.password is None and file.password_withheld and file.has_password
    store.close()
    assert stored(path) == [(None, 1)]
    assert SECRET.encode() not in raw_bytes(path)


def test_a_rotated_key_reads_as_absent_with_one_warning_without_the_value(tmp_path, caplog) -> None:
    path = tmp_path / "bot.db"
    store = open_store(path, password_key=PASSWORD_KEY)
    store.recordings.save_meetings([with_password("r1"), with_password("r2")])
    store.close()
    caplog.set_level(logging.WARNING)
    rotated = open_store(path, password_key="another key, rotated since")
    got = rotated.recordings.get_many(["r1", "r2"])
    files = [m.record_files[0] for m in got]
    assert all(f.password is None and f.password_withheld for f in files)
    warnings = [r for r in caplog.records if r.name == "bot.store.passwords"]
    assert len(warnings) == 1 and "PASSWORD_KEY" in warnings[0].getMessage()
    assert SECRET not in caplog.text
    (value, _), _ = stored(path)
    assert value.startswith(PREFIX)  # left for the right key; a fresh fetch overwrites it
    assert rotated.recordings.keep_password("r1-f", SECRET)
    assert rotated.recordings.get("r1").record_files[0].password == SECRET
    rotated.close()


def drop_later_tables(conn: sqlite3.Connection) -> None:
    """Drop the tables later migrations (3 on) added, so the file is truly at schema 1."""
    first = sqlite3.connect(":memory:")
    for statement in statements_for("sqlite", MIGRATIONS[0]):
        first.execute(statement)
    keep = {r[0] for r in first.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    first.close()
    later = [
        (name, sql)
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        if name not in keep and sql is not None
    ]
    # Virtual tables first: their shadow tables go with them.
    for name, _ in sorted(later, key=lambda row: "VIRTUAL" not in row[1].upper()):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone():
            conn.execute(f'DROP TABLE "{name}"')


def old_release_file(path: Path) -> None:
    """A database as the release before this one wrote it: schema 1, plaintext passwords."""
    store = open_store(path, password_key=PASSWORD_KEY)
    store.recordings.save_meetings([with_password("r1"), with_password("r2", password="")])
    store.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE record_files SET password = ? WHERE password IS NOT NULL", (SECRET,))
        conn.execute("ALTER TABLE record_files DROP COLUMN has_password")
        conn.execute("ALTER TABLE routes DROP COLUMN summary")  # migration 4's
        conn.execute("ALTER TABLE routes DROP COLUMN lang")  # migration 5's
        conn.execute("ALTER TABLE record_meetings DROP COLUMN deleted_at")  # migration 6's
        conn.execute("ALTER TABLE slack_users DROP COLUMN locale")  # migration 8's
        drop_later_tables(conn)
        conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_old_plaintext_rows_are_encrypted_at_start_with_a_key(tmp_path) -> None:
    path = tmp_path / "bot.db"
    old_release_file(path)
    for _ in range(2):  # idempotent: a second start changes nothing
        store = open_store(path, password_key=PASSWORD_KEY)
        assert store.recordings.get("r1").record_files[0].password == SECRET
        assert not store.recordings.get("r2").record_files[0].has_password
        store.close()
        rows = sorted(stored(path), key=lambda row: row[1])
        assert rows[0] == (None, 0) and rows[1][0].startswith(PREFIX) and rows[1][1] == 1
    assert SECRET.encode() not in raw_bytes(path)


def test_old_plaintext_rows_are_cleared_at_start_without_a_key(tmp_path) -> None:
    path = tmp_path / "bot.db"
    old_release_file(path)
    store = open_store(path)
    file = store.recordings.get("r1").record_files[0]
    assert file.password is None and file.has_password
    store.close()
    assert sorted(stored(path), key=lambda row: row[1]) == [(None, 0), (None, 1)]
    assert SECRET.encode() not in raw_bytes(path)


def test_every_connection_zeroes_what_it_overwrites(tmp_path: Path) -> None:
    # The raw-bytes checks above pass on Debian's SQLite, built with SECURE_DELETE; on builds
    # without it, an overwritten password would survive in the page's free space.
    store = open_store(tmp_path / "bot.db")
    try:
        assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    finally:
        store.close()
