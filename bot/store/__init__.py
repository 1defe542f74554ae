"""The store: the only package that writes SQL. One database shared by every process: a SQLite
file (WAL), the embedded default, or PostgreSQL (`DATABASE_URL`), through SQLAlchemy.

`Store` owns the engine, its connections and transactions; each table family has a small
repository module beside this one, reached as an attribute:

    store.recordings   record_meetings, record_files, synced_ranges, subject search
    store.deliveries   the exactly-once delivery ledger
    store.routes       routing rules
    store.budget       the API call budget shared by every process (the throttle's ledger)
    store.leases       one holder at a time (the poller)
    store.liveness     whether a lease holder's process still runs (advisory or file locks)
    store.state        small facts about the bot's health
    store.users        Slack users cache, Slack -> Tencent links, password audit
    store.webhooks     webhook events and nonces
    store.content      what was said: minutes, chapters, transcripts, their status, search
    store.threads      the exactly-once ledger of the minutes posted in recordings' threads
    store.access       requests to view a recording: their Slack message and decision
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy.engine import Connection

from bot.store.engine import Target, lock_key, make_engine, target_for
from bot.store.passwords import PasswordBox, seal_plaintext
from bot.store.schema import migrate
from bot.store.sql import Params, Rows, run

if TYPE_CHECKING:
    from bot.store.access import AccessRequestRepo
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

BUSY_SECONDS = 30.0  # how long a write waits for another connection's lock
# A dead claimer's claim is taken over only this long after it was made: a post it sent just
# before it died may still be on its way to Slack (the client's timeout is 15 s), and the look
# for it in the channel's history must come after it landed.
DEAD_CLAIM_GRACE = 30.0
WRITER = "writer"  # the lock a transaction takes unless told otherwise (see `transaction`)


def _no_nul(value: Any) -> Any:
    """PostgreSQL's text holds no NUL character (SQLite's does): it becomes U+FFFD."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _no_nul_params(params: Params) -> Params:
    """`params` (a mapping, a sequence, or a list of mappings) without NUL characters."""
    if params is None or isinstance(params, (str, bytes)):
        return params
    if isinstance(params, Mapping):
        return {key: _no_nul(value) for key, value in params.items()}
    return [
        _no_nul_params(v) if isinstance(v, (Mapping, tuple, list)) else _no_nul(v) for v in params
    ]


class Db:
    """What repositories run SQL on: this thread's open transaction, or else a pooled connection
    for one statement (autocommit: a read takes no lock)."""

    def __init__(self, store: Store):
        self._store = store

    @property
    def in_transaction(self) -> bool:
        return self._store.in_transaction

    @property
    def skip_locked(self) -> str:
        """The tail of a SELECT that locks its rows and skips those another transaction holds
        (PostgreSQL); empty on SQLite, where BEGIN IMMEDIATE already makes one writer."""
        return "FOR UPDATE SKIP LOCKED" if self._store.is_postgresql else ""

    def is_same(self, column: str) -> str:
        """`column` equals a parameter, NULL equal to NULL."""
        op = "IS NOT DISTINCT FROM" if self._store.is_postgresql else "IS"
        return f"{column} {op} ?"

    def execute(self, sql: str | sqlalchemy.Executable, params: Params = None) -> Rows:
        if self._store.is_postgresql:
            params = _no_nul_params(params)
        conn = self._store._open_transaction()
        if conn is not None:
            return run(conn, sql, params)
        with self._store.engine.connect() as conn:
            return run(conn, sql, params)

    def executemany(self, sql: str, many: Sequence[Params]) -> Rows:
        """The statement once per parameter set (the driver's executemany), in one transaction;
        rowcount is the sum of the rows each changed."""
        many = list(many)
        if not many:
            return Rows([], 0)
        with self._store.transaction():
            return self.execute(sql, many)


class Store:
    """A handle on one database: a SQLite file, or PostgreSQL. Safe to share between threads
    (each thread's transaction has its own connection)."""

    def __init__(
        self,
        location: str | Path,
        *,
        clock: Clock = time.time,
        password_key: str | None = None,
        busy_seconds: float = BUSY_SECONDS,
        migrate_schema: bool = True,
    ):
        self.target: Target = target_for(str(location))
        self.path = self.target.describe()  # where, safe to print (a URL without its password)
        self.clock = clock
        self.passwords = PasswordBox(password_key)  # PASSWORD_KEY; None: no password is kept
        self.busy_seconds = busy_seconds
        self.engine = make_engine(self.target, busy_seconds=busy_seconds)
        self._local = threading.local()
        self._claimers: set[str] = set()  # see hold_claims
        try:
            if migrate_schema:  # False: `db check` looks at the database as it is
                migrate(self)
                with self.transaction() as conn:
                    seal_plaintext(conn, self.passwords)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.target.dialect

    @property
    def is_postgresql(self) -> bool:
        return self.target.is_postgresql

    # -- connections and transactions ------------------------------------------------------------
    @property
    def conn(self) -> Db:
        return Db(self)

    @property
    def in_transaction(self) -> bool:
        return self._open_transaction() is not None

    def _open_transaction(self) -> Connection | None:
        return getattr(self._local, "conn", None)

    def close(self) -> None:
        liveness = self.__dict__.get("liveness")  # only if it was ever made
        if liveness is not None and hasattr(liveness, "close"):
            liveness.close()  # a PostgreSQL holder's lock goes with its connection
        self.engine.dispose()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self, lock: str | None = WRITER) -> Iterator[Db]:
        """One logical step, all or nothing. Nested calls join the outer transaction.

        On SQLite, BEGIN IMMEDIATE takes the file's write lock at once: one writer at a time.
        On PostgreSQL, the transaction takes the advisory lock named `lock` (released at
        COMMIT), so the read-then-write steps written for SQLite stay correct across replicas;
        steps made safe by row locks (SKIP LOCKED claims) or by one atomic statement pass
        `lock=None`, and the budget takes its own lock so it never waits behind other writes.
        """
        if self._open_transaction() is not None:
            yield Db(self)
            return
        conn = self.engine.connect()
        try:
            conn.exec_driver_sql("BEGIN" if self.is_postgresql else "BEGIN IMMEDIATE")
            self._local.conn = conn
            try:
                if self.is_postgresql and lock is not None:
                    conn.execute(
                        sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": lock_key(lock)},
                    )
                yield Db(self)
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.exec_driver_sql("ROLLBACK")
                raise
            else:
                try:
                    conn.exec_driver_sql("COMMIT")
                except BaseException:
                    with contextlib.suppress(Exception):
                        conn.exec_driver_sql("ROLLBACK")
                    raise
            finally:
                self._local.conn = None
        finally:
            conn.close()

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
        """Whether a lease holder's process still runs: its advisory lock on PostgreSQL, its
        OS file lock beside the SQLite file."""
        if self.is_postgresql:
            from bot.store.advisory_liveness import AdvisoryLiveness

            return AdvisoryLiveness(self.engine)
        from bot.store.liveness import open_liveness

        return open_liveness(self.target.location)

    def dead_claim(self, claimed_by: str | None, claimed_at: float | None, claimer: str) -> bool:
        """Whether `claimer` may take over a claim (a post's, a thread's) before it expires:
        another process made it at least DEAD_CLAIM_GRACE ago, holding its liveness lock
        (`hold_claims`), and that lock is free now (killed, crashed, its connection gone).
        False when it is alive, too recent, or when nobody can tell."""
        if claimed_by in (None, claimer) or (claimed_at or 0) > self.now() - DEAD_CLAIM_GRACE:
            return False
        return self.liveness.is_alive(claimed_by) is False

    def hold_claims(self, claimer: str) -> None:
        """This process makes claims as `claimer`: hold its liveness lock (idempotent) until
        the store closes, so the others can tell at once when it dies and take its claims
        over, and never while it lives (not even after it gave its lease back)."""
        self._claimers.add(claimer)
        self.liveness.hold(claimer)

    def release_liveness(self, holder: str) -> None:
        """`holder` gave its lease back: drop its liveness lock, unless it makes claims."""
        if holder not in self._claimers:
            self.liveness.release(holder)

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

    @cached_property
    def access(self) -> AccessRequestRepo:
        from bot.store.access import AccessRequestRepo

        return AccessRequestRepo(self)


def open_store(
    location: str | Path,
    *,
    clock: Clock = time.time,
    password_key: str | None = None,
    busy_seconds: float = BUSY_SECONDS,
    migrate_schema: bool = True,
) -> Store:
    """Open (creating or migrating as needed) the database at `location`: a SQLite file path or
    a PostgreSQL URL. Meeting passwords are kept encrypted with `password_key` (PASSWORD_KEY),
    or not at all without one; a write waits up to `busy_seconds` for another's lock."""
    return Store(
        location,
        clock=clock,
        password_key=password_key,
        busy_seconds=busy_seconds,
        migrate_schema=migrate_schema,
    )
