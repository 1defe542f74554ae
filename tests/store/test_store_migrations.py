from __future__ import annotations

import sqlite3
import threading

import pytest

from bot.models import RecordMeeting
from bot.store import open_store
from bot.store.schema import SCHEMA_VERSION, migrate


def version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_empty_version_zero_file_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an existing, empty file at user_version 0
    assert version(path) == 0
    store = open_store(path)
    store.close()
    assert version(path) == SCHEMA_VERSION
    assert {"record_meetings", "record_files", "deliveries", "routes", "synced_ranges"} <= tables(
        path
    )


def test_reopening_current_keeps_data(tmp_path):
    path = tmp_path / "current.db"
    store = open_store(path)
    meeting = RecordMeeting(
        meeting_record_id="r1",
        meeting_id="m1",
        meeting_code="123",
        userid="alice",
        media_start_time=1000,
        subject="产品周会",
        state=3,
    )
    store.recordings.save_meetings([meeting])
    store.close()
    again = open_store(path)
    try:
        assert version(path) == SCHEMA_VERSION
        assert migrate(again) == SCHEMA_VERSION
        assert [m.meeting_record_id for m in again.recordings.search("周会")] == ["r1"]
    finally:
        again.close()


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this release"):
        open_store(path)


def open_at_once(path, threads: int) -> list[BaseException]:
    """Open a new store file from `threads` threads released together; what they raised."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    stores = []

    def work() -> None:
        barrier.wait()
        try:
            stores.append(open_store(path))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=30)
    for s in stores:
        s.close()
    return errors


def test_concurrent_first_open_migrates_once(tmp_path):
    path = tmp_path / "race.db"
    assert open_at_once(path, 3) == []
    assert version(path) == SCHEMA_VERSION


def test_many_first_opens_at_once_never_find_the_database_locked(tmp_path):
    """Switching a new file to WAL takes an exclusive lock that SQLite refuses at once, without
    its busy handler, to a second connection opening the file at the same moment: the store
    must wait for it, never fail. 30 races, where about one in six used to fail."""
    for round_ in range(30):
        errors = open_at_once(tmp_path / f"race-{round_}.db", 4)
        assert errors == [], f"round {round_}: {errors[0]!r}"
