"""The store: the only package that writes SQL. One SQLite file (WAL), shared by every process.

`Store` owns the connections (one per thread) and transactions; each table family has a small
repository module beside this one, reached as an attribute:

    store.recordings   record_meetings, record_files, synced_ranges, subject search
    store.deliveries   the exactly-once delivery ledger
    store.routes       routing rules
    store.budget       the API call budget shared by every process (the throttle's ledger)
    store.leases       one holder at a time (the poller)
    store.liveness     whether a lease holder's process still runs (file locks, not SQL)
    store.state        small facts about the bot's health
    store.users        Slack users cache, Slack -> Tencent links, password audit
    store.webhooks     webhook events and nonces
    store.content      what was said: minutes, chapters, transcripts, their status, search
    store.threads      the exactly-once ledger of the minutes posted in recordings' threads
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from bot.store.passwords import PasswordBox, seal_plaintext
from bot.store.schema import migrate

if TYPE_CHECKING:
    from bot.store.budget import BudgetRepo
    from bot.store.content import ContentRepo
    from bot.store.deliveries import DeliveryRepo
    from bot.store.leases import LeaseRepo
    from bot.store.liveness import Liveness
    from bot.store.recordings import RecordingRepo
    from bot.store.routes import RouteRepo
    from bot.store.state import StateRepo
    from bot.store.sts import StsTokenRepo
    from bot.store.threads import ThreadRepo
    from bot.store.users import UserRepo
    from bot.store.webhooks import WebhookRepo

Clock = Callable[[], float]


WAL_SWITCH_SECONDS = 30.0
BUSY_SECONDS = 30.0  # how long a write waits for another connection's lock


def _use_wal(conn: sqlite3.Connection, wait: float = WAL_SWITCH_SECONDS) -> None:
    """Put the file in WAL mode (it stays so: later connections find it already set).

    Switching takes an exclusive lock, and SQLite answers "database is locked" at once, without
    its busy handler, when another connection opens the new file at the same moment: so wait
    and try again, as busy_timeout would.
    """
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(0.1, delay * 2)


class Store:
    """A handle on one database file. Safe to share between threads (a connection per thread)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = time.time,
        password_key: str | None = None,
        busy_seconds: float = BUSY_SECONDS,
    ):
        self.path = str(path)
        self.clock = clock
        self.passwords = PasswordBox(password_key)  # PASSWORD_KEY; None: no password is kept
        self.busy_seconds = busy_seconds
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.transaction():
            pass  # opens the file, sets WAL
        migrate(self.conn)
        with self.transaction() as conn:
            seal_plaintext(conn, self.passwords)

    # -- connections -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_seconds, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_seconds * 1000)}")
        _use_wal(conn, min(WAL_SWITCH_SECONDS, self.busy_seconds))
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Overwritten values (a password sealed or dropped) are zeroed, not left in free space:
        # Debian's SQLite does this by default, many builds do not.
        conn.execute("PRAGMA secure_delete = ON")
        with self._lock:
            self._all_conns.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils Database."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self._connect())
            self._local.db = db
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all_conns:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all_conns.clear()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One logical step: BEGIN IMMEDIATE (takes the write lock at once) ... COMMIT.

        Nested calls join the outer transaction (sqlite-utils' own writes use savepoints).
        """
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def now(self) -> float:
        return self.clock()

    # -- repositories ------------------------------------------------------------------------
    @cached_property
    def recordings(self) -> RecordingRepo:
        from bot.store.recordings import RecordingRepo

        return RecordingRepo(self)

    @cached_property
    def deliveries(self) -> DeliveryRepo:
        from bot.store.deliveries import DeliveryRepo

        return DeliveryRepo(self)

    @cached_property
    def routes(self) -> RouteRepo:
        from bot.store.routes import RouteRepo

        return RouteRepo(self)

    @cached_property
    def budget(self) -> BudgetRepo:
        from bot.store.budget import BudgetRepo

        return BudgetRepo(self)

    @cached_property
    def leases(self) -> LeaseRepo:
        from bot.store.leases import LeaseRepo

        return LeaseRepo(self)

    @cached_property
    def liveness(self) -> Liveness:
        """Whether a lease holder's process still runs (OS file locks beside the file)."""
        from bot.store.liveness import open_liveness

        return open_liveness(self.path)

    @cached_property
    def state(self) -> StateRepo:
        from bot.store.state import StateRepo

        return StateRepo(self)

    @cached_property
    def sts(self) -> StsTokenRepo:
        from bot.store.sts import StsTokenRepo

        return StsTokenRepo(self)

    @cached_property
    def users(self) -> UserRepo:
        from bot.store.users import UserRepo

        return UserRepo(self)

    @cached_property
    def webhooks(self) -> WebhookRepo:
        from bot.store.webhooks import WebhookRepo

        return WebhookRepo(self)

    @cached_property
    def content(self) -> ContentRepo:
        from bot.store.content import ContentRepo

        return ContentRepo(self)

    @cached_property
    def threads(self) -> ThreadRepo:
        from bot.store.threads import ThreadRepo

        return ThreadRepo(self)


def open_store(
    path: str | Path,
    *,
    clock: Clock = time.time,
    password_key: str | None = None,
    busy_seconds: float = BUSY_SECONDS,
) -> Store:
    """Open (creating or migrating as needed) the database at `path`. Meeting passwords are
    kept encrypted with `password_key` (PASSWORD_KEY), or not at all without one; a write waits
    up to `busy_seconds` for another connection's lock."""
    return Store(path, clock=clock, password_key=password_key, busy_seconds=busy_seconds)
