"""The poller's health record: one writer (record_cycle_start, record_cycle), one reader
(read_poller_record, collect_health), over a real SQLite file and an injected clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.health import (
    CycleRecord,
    PollerRecord,
    collect_health,
    read_poller_record,
    record_cycle,
    record_cycle_start,
)
from bot.store import Store, open_store

T0 = 1_795_000_000.0
SETTINGS = load_settings({})  # defaults: a cycle every 120 s: stale after 3 * 120 + 60 s


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_db_path: str, clock: Clock) -> Iterator[Store]:
    store = open_store(tmp_db_path, clock=clock)
    yield store
    store.close()


def cycle(store: Store, clock: Clock, *, error: str | None = None, **fields) -> CycleRecord:
    """One cycle of 5 s, recorded as the poller does."""
    started = clock.now
    record_cycle_start(store, started)
    clock.now += 5
    record = CycleRecord(started_at=started, finished_at=clock.now, error=error, **fields)
    record_cycle(store, record, next_run_at=clock.now + SETTINGS.poll_interval_seconds)
    return record


def test_before_any_cycle_the_bot_is_starting(store: Store) -> None:
    assert read_poller_record(store) == PollerRecord()
    health = collect_health(store, SETTINGS)
    assert (health.healthy, health.summary) == (True, "starting: no poll cycle has run yet")
    assert health.last_cycle is None and health.consecutive_failures == 0


def test_a_successful_cycle_is_read_back(store: Store, clock: Clock) -> None:
    cycle(store, clock, calls=2, fetched=7, completed=1, sent=2, failed=0)
    record = read_poller_record(store)
    assert record.last_started_at == T0
    assert record.last_success_at == T0 + 5
    assert record.next_run_at == T0 + 5 + 120
    assert record.last_cycle == {
        "started_at": T0,
        "finished_at": T0 + 5,
        "ok": True,
        "calls": 2,
        "fetched": 7,
        "completed": 1,
        "sent": 2,
        "failed": 0,
        "error": None,
    }
    health = collect_health(store, SETTINGS)
    assert (health.healthy, health.summary) == (True, "ok")
    assert health.as_json()["last_success_at"] == T0 + 5
    assert health.as_json()["next_run_at"] == T0 + 125


def test_the_record_keeps_its_keys_on_disk(store: Store, clock: Clock) -> None:
    """Existing databases hold these keys: the writer must keep them, the reader read them."""
    cycle(store, clock, error="Tencent Meeting: down", malformed=("bad 1",))
    state = store.state
    assert state.get("poller.last_started_at") == T0
    assert state.get("poller.last_cycle")["error"] == "Tencent Meeting: down"
    assert state.get("poller.last_error") == {"at": T0 + 5, "message": "Tencent Meeting: down"}
    assert state.get("poller.consecutive_failures") == 1
    assert state.get("poller.next_run_at") == T0 + 125
    assert state.get("sync.malformed") == {"at": T0 + 5, "records": ["bad 1"], "count": 1}
    assert state.get("poller.last_success_at") is None
    # ...and what an older version wrote is read the same way.
    state.set("poller.last_success_at", T0 - 60)
    state.set("poller.consecutive_failures", 3)
    record = read_poller_record(store)
    assert (record.last_success_at, record.consecutive_failures) == (T0 - 60, 3)


def test_failures_in_a_row_make_it_unhealthy_until_a_cycle_succeeds(
    store: Store, clock: Clock
) -> None:
    cycle(store, clock, error="Tencent Meeting: error 9042")
    health = collect_health(store, SETTINGS)
    assert health.healthy and health.consecutive_failures == 1  # one failure may be a blip
    cycle(store, clock, error="Slack: ratelimited")
    health = collect_health(store, SETTINGS)
    assert (health.healthy, health.summary) == (False, "failing: the last 2 poll cycles failed")
    assert health.last_error == {"at": T0 + 10, "message": "Slack: ratelimited"}
    assert health.last_cycle is not None and health.last_cycle["ok"] is False
    cycle(store, clock)
    health = collect_health(store, SETTINGS)
    assert (health.healthy, health.consecutive_failures) == (True, 0)
    assert health.last_error == {"at": T0 + 10, "message": "Slack: ratelimited"}  # kept


def test_a_poller_that_stopped_succeeding_goes_stale(store: Store, clock: Clock) -> None:
    cycle(store, clock)
    clock.now += 3 * 120 + 60
    assert collect_health(store, SETTINGS).summary == "ok"
    clock.now += 1
    health = collect_health(store, SETTINGS)
    assert health.healthy is False and health.summary == "stale: no successful poll for 421 s"


def test_a_first_cycle_that_never_finishes_is_failing(store: Store, clock: Clock) -> None:
    record_cycle_start(store, clock.now)
    assert collect_health(store, SETTINGS).summary == "ok"  # a cycle in progress
    clock.now += 3 * 120 + 61
    health = collect_health(store, SETTINGS)
    assert (health.healthy, health.summary) == (False, "failing: no poll cycle has succeeded yet")


def test_malformed_records_stay_shown_until_a_clean_cycle(store: Store, clock: Clock) -> None:
    bad = tuple(f"record {i} is broken" for i in range(7))
    cycle(store, clock, malformed=bad)
    shown = collect_health(store, SETTINGS).malformed
    assert shown == {"at": T0 + 5, "records": list(bad[:5]), "count": 7}
    assert collect_health(store, SETTINGS).as_json()["malformed_records"] == 7
    cycle(store, clock, error="Tencent Meeting: down")  # a failed cycle proves nothing
    assert collect_health(store, SETTINGS).malformed == shown
    cycle(store, clock)
    assert collect_health(store, SETTINGS).malformed is None
    assert collect_health(store, SETTINGS).as_json()["malformed_records"] == 0


def test_a_cycle_record_is_ok_without_an_error() -> None:
    assert CycleRecord(started_at=1.0, finished_at=2.0).ok
    assert not CycleRecord(started_at=1.0, finished_at=2.0, error="x").ok
