"""A throwaway PostgreSQL server for tests and benchmarks: the machine's server binaries (the
Debian `postgresql` package), a temporary folder, a free port on 127.0.0.1, fast unsafe
settings (no fsync), trust authentication; stopped and removed at exit.

    with throwaway_postgres() as server:
        url = server.create_database()     # postgresql://postgres@127.0.0.1:PORT/db_1
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

SUPERUSER = "postgres"
TEMPLATE = "bot_template"  # pg_trgm already in it: a new database is a file copy
_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "listen_addresses": "127.0.0.1",
}


class NoPostgres(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    """The folder with initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name.split(".")[0]),
    )
    if not candidates:
        raise NoPostgres("no PostgreSQL server binaries (initdb): install the postgresql package")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", SUPERUSER, "--"]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = server_binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="recordings-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._running = False

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER)
        run = [*_as_server_user()]
        subprocess.run(
            [*run, str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust"],
            check=True,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        options = " ".join(f"-c {k}={v}" for k, v in _SETTINGS.items())
        options += f" -p {self.port} -k {self.folder}"
        subprocess.run(
            [*run, str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-t", "60"]
            + ["-l", str(self.folder / "server.log"), "start"],
            check=True,
            capture_output=True,
        )
        self._running = True
        atexit.register(self.stop)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self.url_for(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (pg_trgm installed); returns its URL."""
        name = name or f"db_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self._running:
            self._running = False
            subprocess.run(
                [*_as_server_user(), str(self.bin / "pg_ctl"), "-D", str(self.data)]
                + ["-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def scratch_database(
    server_url: str, name: str, *, template: str | None = TEMPLATE
) -> Iterator[str]:
    """A new database `name` on the server at `server_url` for the `with` block, dropped after:
    from `template` when the server has it (pg_trgm installed), else bare. Yields its URL."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        found = (
            template
            and admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
            ).fetchone()
        )
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if found else ""))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
