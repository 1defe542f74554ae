"""GET /healthz: the bot's health as JSON, 200 when healthy, 503 otherwise, read at most once a
second (the endpoint is public).

The database is checked first: its file must still start with SQLite's header, and reading the
health must not fail. A connection's page cache can keep answering from a file overwritten
underneath it, so the header is read from disk each time. A database that fails either way
answers 503 with the cause (the error's kind and SQLite's message; never the path), never 500.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.health import collect_health
from bot.store.engine import DATABASE_ERRORS, describe_error
from bot.wiring import Services

log = logging.getLogger(__name__)

CACHE_SECONDS = 1.0
SQLITE_HEADER = b"SQLite format 3\x00"
OK, UNAVAILABLE = "200 OK", "503 Service Unavailable"


def database_problem(path: str) -> str | None:
    """Why the SQLite file at `path` is unusable as read from disk, or None."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    try:
        with Path(path).open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"the database file cannot be read ({exc.strerror or type(exc).__name__})"
    if header and header != SQLITE_HEADER:
        return "the database file is not SQLite any more (corrupt or overwritten)"
    return None


def failing(cause: str) -> dict[str, Any]:
    return {"healthy": False, "summary": f"database error: {cause}", "error": cause}


class HealthAnswer:
    """The /healthz answer, (status, JSON payload), cached for CACHE_SECONDS."""

    def __init__(self, services: Services, monotonic: Callable[[], float] = time.monotonic):
        self.services = services
        self.monotonic = monotonic
        self._cached: tuple[float, str, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, dict[str, Any]]:
        with self._lock:
            now = self.monotonic()
            cached = self._cached
            if cached is None or now - cached[0] >= CACHE_SECONDS:
                status, payload = self._read()
                cached = self._cached = (now, status, payload)
            return cached[1], cached[2]

    def _read(self) -> tuple[str, dict[str, Any]]:
        store = self.services.store
        problem = None if store.is_postgresql else database_problem(store.path)
        if problem is not None:
            log.warning("/healthz: %s", problem)
            return UNAVAILABLE, failing(problem)
        try:
            health = collect_health(store, self.services.settings)
        except DATABASE_ERRORS as exc:  # a corrupt, unreadable or locked database: never a 500
            cause = describe_error(exc)
            log.warning("/healthz: %s", cause)
            return UNAVAILABLE, failing(cause)
        except Exception as exc:  # anything else: its kind only (a message might quote data)
            cause = f"reading the health failed ({type(exc).__name__})"
            log.warning("/healthz: %s", cause)
            return UNAVAILABLE, failing(cause)
        return (OK if health.healthy else UNAVAILABLE), health.as_json()
