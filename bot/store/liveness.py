"""Liveness: whether the process behind a lease holder still runs, known at once.

A lease expires when its holder stops renewing it; liveness tells another process sooner that
the holder is gone, so a killed poller is replaced at once instead of after the lease's length.

On SQLite (`FileLiveness`) each holder keeps an OS file lock (flock) on a file of its own in a
folder beside the database, `<db>.locks/`, for as long as its process lives. The kernel drops
the lock the moment the process ends, whatever ended it (SIGKILL included): a file whose lock
is free belongs to a dead holder. Only processes that share this host's locks can tell; for
anything else (a holder on another host, a release that kept no lock) the answer is "cannot
tell" and the lease's expiry decides, as it always did.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Protocol

try:
    import fcntl
except ImportError:  # not a POSIX system: no file locks, leases just expire
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_FOLDER_SUFFIX = ".locks"
LOCK_TRIES = 50  # taking our own new file's lock: a checker may hold it for a moment
# A dead holder's file stays this long after it was made, so every process can still tell that
# the claims it left (posts, threads: expiring after 2 and 10 minutes) are a dead one's.
KEEP_DEAD_SECONDS = 3600.0


class Liveness(Protocol):
    """Whether a lease holder's process is still running."""

    def hold(self, holder: str) -> None:
        """This process is alive as `holder` until release or death (idempotent)."""

    def release(self, holder: str) -> None:
        """This process no longer speaks for `holder`."""

    def is_alive(self, holder: str) -> bool | None:
        """True: its process runs; False: it certainly died; None: cannot tell."""


class NoLiveness:
    """No way to tell (an in-memory database, no file locks): leases expire on their own."""

    def hold(self, holder: str) -> None:
        return None

    def release(self, holder: str) -> None:
        return None

    def is_alive(self, holder: str) -> bool | None:
        return None


# Locks this process holds, by file, shared by every Store in it: a second open+flock of a file
# this process already locked would conflict with its own lock (flock is per open file).
_HELD: dict[str, int] = {}
# Files this process found free (their holders died) and removed: a holder id is never reused,
# so it stays dead, and later checks (the claims it left) need not find its file.
_DEAD: set[str] = set()
_GUARD = threading.Lock()


def _forget_inherited() -> None:
    """In a forked child: the parent's locks are the parent's (closing our copies keeps them)."""
    for fd in _HELD.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)


class FileLiveness:
    """One flock-ed file per holder in `<db>.locks/` (see the module docstring)."""

    def __init__(self, db_path: str | Path):
        self.folder = Path(f"{db_path}{LOCK_FOLDER_SUFFIX}")
        self.host = socket.gethostname()
        self._warned = False

    def path(self, holder: str) -> Path:
        return self.folder / f"{hashlib.sha256(holder.encode()).hexdigest()[:16]}.lock"

    def hold(self, holder: str) -> None:
        path = str(self.path(holder))
        with _GUARD:
            if path in _HELD:
                return
            try:
                _HELD[path] = self._lock_new(path, holder)
            except OSError as exc:
                if not self._warned:  # the lease still works: it expires instead
                    log.warning("no liveness lock in %s (%s): leases only expire", self.folder, exc)
                    self._warned = True
                return
        self._sweep()

    def release(self, holder: str) -> None:
        path = str(self.path(holder))
        with _GUARD:
            fd = _HELD.pop(path, None)
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)

    def is_alive(self, holder: str) -> bool | None:
        path = str(self.path(holder))
        with _GUARD:
            if path in _HELD:
                return True
            if path in _DEAD:
                return False
        return self._check(path, holder)

    # -- files -------------------------------------------------------------------------------
    def _lock_new(self, path: str, holder: str) -> int:
        """Create, lock and fill `path`; its descriptor (kept open: the lock lives with it)."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        for _ in range(LOCK_TRIES):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # A checker may have removed the file between our open and our lock.
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{self.host}\n{holder}\n".encode())
                    return fd
            except (BlockingIOError, FileNotFoundError):
                pass
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
            time.sleep(0.01)
        raise OSError(f"could not lock {path}")

    def _check(self, path: str, holder: str | None) -> bool | None:
        """Try the holder's lock: held → True; free → the holder died (file removed) → False;
        no file, or a holder this host cannot judge → None."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None  # no file: an older release, another folder, or already cleaned up
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:
                return None
            host, _, name = os.pread(fd, 4096, 0).decode(errors="replace").partition("\n")
            if host != self.host or (holder is not None and name.rstrip("\n") != holder):
                return None  # another host's holder (its lock may not reach us), or half-written
            with _GUARD:
                _DEAD.add(path)
            if time.time() - os.fstat(fd).st_mtime > KEEP_DEAD_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return False
        finally:
            os.close(fd)

    def _sweep(self) -> None:
        """Remove the files of holders that died long ago (KEEP_DEAD_SECONDS)."""
        try:
            paths = [e.path for e in os.scandir(self.folder) if e.name.endswith(".lock")]
        except OSError:
            return
        for path in paths:
            with _GUARD:
                if path in _HELD:
                    continue
            self._check(path, None)


def open_liveness(db_path: str | Path) -> Liveness:
    """File locks beside a database file; none for an in-memory database or a URL (a server
    database has its own liveness: bot/store/advisory_liveness.py on PostgreSQL)."""
    text = str(db_path)
    if fcntl is None or not text or text == ":memory:" or text.startswith("file:") or "://" in text:
        return NoLiveness()
    return FileLiveness(text)
