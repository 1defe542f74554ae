"""A database that cannot be used, or a Slack that cannot be reached, at start: `recordings-bot
run` and `poll --once` (real processes) end with one clear line naming the cause, the path and
the variable to check, and exit code 2, never a traceback."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from tests.server.run_helpers import BOT_TOKEN, bot_env, command, free_port

pytestmark = pytest.mark.slow  # real processes

COMMANDS = [("run", "--host", "127.0.0.1"), ("poll", "--once")]
DB_COMMANDS = [*COMMANDS, ("sync", "--days", "1")]  # sync needs no Slack


def _run(env: dict[str, str], cwd: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _assert_one_clear_line(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


@pytest.fixture
def env(tmp_path) -> Iterator[dict[str, str]]:
    with TencentEmulator() as tencent, SlackStandIn(bot_token=BOT_TOKEN) as slack:
        yield bot_env(tencent, slack, str(tmp_path / "bot.db"), free_port())


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`chattr +i`: even root cannot write the file (chmod does not stop root)."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _make_db(path: Path) -> None:
    from bot.store import open_store

    open_store(path).close()


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: a[0])
def test_a_database_in_a_folder_that_cannot_exist(env, tmp_path, args) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    env["RECORDINGS_DB"] = db = str(tmp_path / "a-file" / "bot.db")
    _assert_one_clear_line(_run(env, tmp_path, args), db, "RECORDINGS_DB", "cannot open")


@pytest.mark.parametrize("folder_too", [False, True], ids=["file", "file-and-folder"])
@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: a[0])
def test_a_read_only_database(env, tmp_path, args, folder_too: bool) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "bot.db"
    _make_db(db)
    env["RECORDINGS_DB"] = str(db)
    with immutable(db), immutable(folder) if folder_too else contextlib.nullcontext():
        done = _run(env, tmp_path, args)
    _assert_one_clear_line(done, str(db), "RECORDINGS_DB", "read-only")


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: a[0])
def test_a_corrupt_database(env, tmp_path, args) -> None:
    db = tmp_path / "bot.db"
    _make_db(db)
    size = db.stat().st_size
    db.write_bytes(os.urandom(size))
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    env["RECORDINGS_DB"] = str(db)
    _assert_one_clear_line(_run(env, tmp_path, args), str(db), "RECORDINGS_DB", "corrupt")


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: a[0])
def test_a_database_locked_by_another_process(env, tmp_path, args) -> None:
    db = tmp_path / "bot.db"
    _make_db(db)
    env["RECORDINGS_DB"] = str(db)
    env["RECORDINGS_DB_BUSY_SECONDS"] = "1"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = _run(env, tmp_path, args)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _assert_one_clear_line(done, str(db), "RECORDINGS_DB", "locked")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_an_unreachable_slack(env, tmp_path, args) -> None:
    closed = free_port()  # nothing listens there
    env["SLACK_API_URL"] = f"http://127.0.0.1:{closed}/api"
    _assert_one_clear_line(
        _run(env, tmp_path, args), "Slack", "SLACK_API_URL", "SLACK_BOT_TOKEN", str(closed)
    )
