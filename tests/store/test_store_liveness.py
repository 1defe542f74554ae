"""Liveness by OS file locks beside the database: what a holder's lock file tells, and what it
cannot (another host's holder, no file, no file system)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.store.liveness import KEEP_DEAD_SECONDS, FileLiveness, NoLiveness, open_liveness

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from bot.store.liveness import FileLiveness

FileLiveness(sys.argv[1]).hold(sys.argv[2])
print("holding", flush=True)
time.sleep(60)
"""


def hold_in_child(db: Path, holder: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), holder], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_a_live_holder_is_alive_and_a_killed_one_is_dead_and_cleaned_up(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    proc = hold_in_child(db, "host:1:child")
    try:
        liveness = FileLiveness(db)
        assert liveness.is_alive("host:1:child") is True
        assert liveness.path("host:1:child").exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert liveness.is_alive("host:1:child") is False
        # Its file stays a while, so that every process can judge the claims it left...
        assert liveness.path("host:1:child").exists()
        assert FileLiveness(db).is_alive("host:1:child") is False
        # ... and goes once it is older than that.
        old = time.time() - KEEP_DEAD_SECONDS - 1
        os.utime(liveness.path("host:1:child"), (old, old))
        assert liveness.is_alive("host:1:child") is False  # this process remembers
        FileLiveness(db).hold("host:2:sweeper")
        assert not liveness.path("host:1:child").exists()
        FileLiveness(db).release("host:2:sweeper")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_hold_is_idempotent_and_release_removes_the_file(tmp_path: Path) -> None:
    liveness = FileLiveness(tmp_path / "bot.db")
    liveness.hold("host:1:me")
    liveness.hold("host:1:me")
    path = liveness.path("host:1:me")
    assert path.read_text().splitlines()[1] == "host:1:me"
    assert FileLiveness(tmp_path / "bot.db").is_alive("host:1:me") is True
    liveness.release("host:1:me")
    assert not path.exists()
    assert liveness.is_alive("host:1:me") is None
    liveness.release("host:1:me")  # twice: nothing to do


def test_a_free_lock_of_another_hosts_holder_cannot_be_judged(tmp_path: Path) -> None:
    liveness = FileLiveness(tmp_path / "bot.db")
    liveness.folder.mkdir()
    path = liveness.path("elsewhere:7:abcd")
    path.write_text("elsewhere\nelsewhere:7:abcd\n")  # its lock may just not reach this host
    assert liveness.is_alive("elsewhere:7:abcd") is None
    assert path.exists()


def test_a_new_holder_sweeps_the_files_dead_holders_left(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    dead = hold_in_child(db, "host:1:dead")
    dead.send_signal(signal.SIGKILL)
    dead.wait(10)
    assert dead.stdout is not None
    dead.stdout.close()
    liveness = FileLiveness(db)
    assert liveness.path("host:1:dead").exists()  # nobody asked about it
    old = time.time() - KEEP_DEAD_SECONDS - 1  # and it died long ago
    os.utime(liveness.path("host:1:dead"), (old, old))
    liveness.hold("host:2:new")
    assert sorted(p.name for p in liveness.folder.iterdir()) == [liveness.path("host:2:new").name]
    liveness.release("host:2:new")


def test_a_holder_being_created_is_not_swept(tmp_path: Path) -> None:
    """Between its create and its lock a file is empty: never taken for a dead holder's."""
    liveness = FileLiveness(tmp_path / "bot.db")
    liveness.folder.mkdir()
    fresh = liveness.path("host:3:fresh")
    fresh.touch()
    liveness.hold("host:2:new")
    assert fresh.exists()
    fd = os.open(fresh, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # and nobody kept a lock on it
    finally:
        os.close(fd)
    liveness.release("host:2:new")


def test_an_in_memory_database_or_a_url_has_no_file_liveness(tmp_path: Path) -> None:
    assert isinstance(open_liveness(tmp_path / "bot.db"), FileLiveness)
    for location in (":memory:", "postgresql://bot@db.example/bot"):
        liveness = open_liveness(location)
        assert isinstance(liveness, NoLiveness)
        liveness.hold("x")
        assert liveness.is_alive("x") is None
        liveness.release("x")


def test_a_folder_that_cannot_be_made_only_loses_the_shortcut(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "bot.db.locks"
    blocker.write_text("a file where the folder should be")
    liveness = FileLiveness(tmp_path / "bot.db")
    liveness.hold("host:1:me")  # logged, not raised: the lease then only expires
    assert "leases only expire" in caplog.text
    assert liveness.is_alive("host:1:me") is None
