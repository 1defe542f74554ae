"""Fixtures for the store's tests: a real database (a SQLite file, or PostgreSQL), on a clock
the test sets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store import Store, open_store

T0 = 1_700_000_000.0


class Clock:
    """A settable clock: `clock.now = T0 + 61` moves time for the store."""

    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


PASSWORD_KEY = "a store test key, 16+ chars"  # noqa: S105 (a test key)


@pytest.fixture
def store(db_location, clock) -> Iterator[Store]:
    s = open_store(db_location, clock=clock, password_key=PASSWORD_KEY)
    yield s
    s.close()
