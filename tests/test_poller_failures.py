"""Every failed poll cycle is recorded, even one the database itself fails: with a real lock
held by another connection, the cycle fails at its very start ("database is locked"), the
poller keeps running, and the failure is written to the health record (what `status` shows)
once the database takes writes again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot.health import collect_health, read_poller_record
from bot.store import open_store
from bot.wiring import Services, build_services
from tests.conftest import BotEnv


@pytest.fixture
def quick(bot_env: BotEnv) -> Iterator[Services]:
    """The bot on the same database, waiting only 0.3 s for another process's lock."""
    store = open_store(bot_env.settings.recordings_db, busy_seconds=0.3)
    services = build_services(bot_env.settings, store=store)
    try:
        yield services
    finally:
        services.close()


class Lock:
    """Another process's write lock on the database (BEGIN EXCLUSIVE) until released."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_cycles_failing_on_a_locked_database_are_recorded_once_it_unlocks(
    bot_env: BotEnv, quick: Services
) -> None:
    lock = Lock(bot_env.settings.recordings_db)
    try:
        for _ in range(2):
            report = quick.poller.run_cycle()  # must not raise: the scheduler keeps going
            assert not report.ok
            assert report.error and "database is locked" in report.error
    finally:
        lock.release()
    bot_env.tencent.stop()  # the next cycle fails too, for another reason
    report = quick.poller.run_cycle()
    assert report.ran and not report.ok and "Tencent" in (report.error or "")
    record = read_poller_record(quick.store)
    assert record.consecutive_failures == 3
    health = collect_health(quick.store, quick.settings)
    assert not health.healthy and "the last 3 poll cycles failed" in health.summary


def test_a_locked_cycle_shows_in_status_after_the_next_good_cycle(
    bot_env: BotEnv, quick: Services
) -> None:
    assert quick.poller.run_cycle().ok
    lock = Lock(bot_env.settings.recordings_db)
    try:
        failed = quick.poller.run_cycle()
    finally:
        lock.release()
    assert not failed.ok and "database is locked" in (failed.error or "")
    assert read_poller_record(quick.store).last_error is None  # not written yet: it was locked
    assert quick.poller.run_cycle().ok
    record = read_poller_record(quick.store)
    assert record.last_error is not None
    assert "database is locked" in record.last_error["message"]
    assert record.consecutive_failures == 0  # the good cycle after it ends the run
    assert record.last_cycle is not None and record.last_cycle["ok"]
