"""The lease across real processes on one database: a holder killed with SIGKILL is replaced at
once (its OS file lock beside a SQLite file, or its PostgreSQL session's advisory lock, is free),
one alive but stuck keeps the lease until it expires."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
TTL = 600.0  # far longer than any test: only liveness can free the lease early

# A holder in its own process: opens the store, then obeys one command a line on stdin.
HOLDER = """
import sys
from bot.store import open_store

store = open_store(sys.argv[1])
holder, ttl = sys.argv[2], float(sys.argv[3])
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "acquire":
        print(store.leases.acquire("poller", holder, ttl), flush=True)
    elif line.strip() == "release":
        store.leases.release("poller", holder)
        print("released", flush=True)
"""


class HolderProcess:
    """A child process speaking for `holder` on the database at `db`."""

    def __init__(self, db: str, holder: str, ttl: float = TTL):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db), holder, str(ttl)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.answer() == "ready"

    def answer(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.answer()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def db(db_location: str) -> str:
    open_store(db_location).close()  # created and migrated before the children race to it
    return db_location


def sqlite_only(db: str) -> None:
    if "://" in db:
        pytest.skip("about the lock files beside a SQLite database")


@pytest.fixture
def spawn(db: Path):
    started: list[HolderProcess] = []

    def start(holder: str, ttl: float = TTL) -> HolderProcess:
        started.append(HolderProcess(db, holder, ttl))
        return started[-1]

    yield start
    for child in started:
        child.close()


def at(db: str, offset: float = 0.0) -> Store:
    """Another handle on the file, on a clock `offset` seconds ahead of the real one."""
    return open_store(db, clock=lambda: time.time() + offset)


def test_a_holder_killed_with_sigkill_is_replaced_at_once(db, spawn, caplog) -> None:
    first = spawn("host:1:first")
    assert first.ask("acquire") == "True"
    store = at(db)
    assert not store.leases.acquire("poller", "host:2:second", TTL)  # it is alive: refused
    first.kill()
    caplog.set_level(logging.INFO, logger="bot.store.leases")
    started = time.monotonic()
    assert store.leases.acquire("poller", "host:2:second", TTL)  # TTL is 10 minutes away
    assert time.monotonic() - started < 1.0
    assert store.leases.holder("poller") == "host:2:second"
    assert "lease poller: holder host:1:first is gone; taking over" in caplog.text
    assert store.liveness.is_alive("host:1:first") is False  # and stays so
    store.close()


def test_a_stuck_but_alive_holder_keeps_the_lease_until_it_expires(db, spawn) -> None:
    stuck = spawn("host:1:stuck", ttl=60)
    assert stuck.ask("acquire") == "True"  # then it hangs: alive, never renewing
    assert not at(db).leases.acquire("poller", "host:2:other", 60)
    assert not at(db, offset=59).leases.acquire("poller", "host:2:other", 60)
    later = at(db, offset=61)  # its lease ran out: the lock does not extend it
    assert later.leases.acquire("poller", "host:2:other", 60)
    assert later.leases.holder("poller") == "host:2:other"
    assert stuck.ask("acquire") == "False"  # waking up, it finds the lease taken by a live one
    assert stuck.proc.poll() is None


def test_a_holder_that_released_leaves_no_lock_behind(db, spawn) -> None:
    sqlite_only(db)
    first = spawn("host:1:first")
    assert first.ask("acquire") == "True"
    assert len(list(Path(f"{db}.locks").glob("*.lock"))) == 1
    assert first.ask("release") == "released"
    assert not list(Path(f"{db}.locks").glob("*.lock"))
    store = at(db)
    assert store.leases.holder("poller") is None
    assert store.leases.acquire("poller", "host:2:second", TTL)


def test_a_holder_without_a_lock_file_waits_for_expiry(db) -> None:
    """An older release kept no lock: nobody can tell it died, so its lease runs out as before.
    (PostgreSQL support came with the locks: every holder there has one.)"""
    sqlite_only(db)
    store = at(db)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?)",
            ("poller", "old-release:99:abcd", time.time() + 60, time.time()),
        )
    assert store.liveness.is_alive("old-release:99:abcd") is None
    assert not store.leases.acquire("poller", "host:2:second", TTL)
    assert at(db, offset=61).leases.acquire("poller", "host:2:second", TTL)


def test_in_one_process_a_holder_is_alive_to_itself_and_to_every_store(db) -> None:
    one, two = at(db), at(db)
    assert one.leases.acquire("poller", "host:1:me", TTL)
    assert one.leases.acquire("poller", "host:1:me", TTL)  # renewing: its own lock, no conflict
    assert one.liveness.is_alive("host:1:me") is True
    assert two.liveness.is_alive("host:1:me") is True
    assert not two.leases.acquire("poller", "host:1:other", TTL)
