"""The shared call budget: within a process, between priorities, and across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from bot.store import open_store
from bot.tencent.errors import BudgetExhaustedError
from bot.tencent.throttle import Ledger, Throttle


class FakeTime:
    """A clock and a sleep that advances it: a throttle test without real waiting."""

    def __init__(self, start: float = 1_700_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def fake_store(tmp_path, fake_time):
    store = open_store(tmp_path / "budget.db", clock=fake_time)
    yield store
    store.close()


def test_the_stores_budget_is_a_ledger(fake_store):
    assert isinstance(fake_store.budget, Ledger)
    assert fake_store.budget.now() == fake_store.now()


def test_limit_holds_within_one_process(fake_store, fake_time):
    throttle = Throttle(
        fake_store.budget, limit=5, window=10.0, margin=0.5, reserve=0, sleep=fake_time.sleep
    )
    start = fake_time.now
    for _ in range(5):
        throttle.acquire()
    assert fake_time.sleeps == []  # the first `limit` calls are free
    throttle.acquire()
    throttle.acquire()
    # The 6th waited for the first call to leave the (10 + 0.5) s window, in steps of <= 1 s.
    assert fake_time.now - start == pytest.approx(10.5, abs=0.05)
    assert max(fake_time.sleeps) <= 1.0
    assert throttle.calls_in_last(10) == 2
    times = fake_store.budget.call_times("corp_records", start)
    assert len(times) == 7
    assert all(b - a >= 10.5 - 1e-6 for a, b in zip(times, times[5:], strict=False))


def test_background_leaves_the_reserve_to_interactive(fake_store, fake_time):
    throttle = Throttle(fake_store.budget, limit=5, window=10.0, reserve=1, sleep=fake_time.sleep)
    for _ in range(4):
        throttle.acquire("background", max_wait=0)
    with pytest.raises(BudgetExhaustedError):
        throttle.acquire("background", max_wait=0)
    throttle.acquire("interactive", max_wait=0)  # the reserved slot
    assert throttle.calls_in_last(10) == 5


def test_max_wait_zero_raises_with_retry_after(fake_store, fake_time):
    throttle = Throttle(fake_store.budget, limit=2, window=10.0, margin=0.5, sleep=fake_time.sleep)
    throttle.acquire("interactive")
    fake_time.now += 3
    throttle.acquire("interactive")
    with pytest.raises(BudgetExhaustedError) as info:
        throttle.acquire("interactive", max_wait=0)
    assert info.value.retry_after == pytest.approx(7.5, abs=0.01)
    assert fake_time.sleeps == []
    with pytest.raises(BudgetExhaustedError):
        throttle.acquire("interactive", max_wait=5)
    throttle.acquire("interactive", max_wait=8)  # waits, then is served
    assert sum(fake_time.sleeps) == pytest.approx(7.5, abs=0.05)


def test_penalize_blocks_every_caller(fake_store, fake_time):
    throttle = Throttle(fake_store.budget, limit=100, window=10.0, sleep=fake_time.sleep)
    throttle.penalize(30)
    with pytest.raises(BudgetExhaustedError) as info:
        throttle.acquire("interactive", max_wait=0)
    assert info.value.retry_after == pytest.approx(30)
    throttle.acquire("interactive")
    assert sum(fake_time.sleeps) == pytest.approx(30, abs=0.01)


def test_interactive_is_served_ahead_of_background(tmp_path):
    store = open_store(tmp_path / "budget.db")
    throttle = Throttle(store.budget, limit=3, window=0.6, margin=0.0, reserve=0)
    waiting = threading.Event()

    def background_sleep(seconds: float) -> None:
        waiting.set()
        time.sleep(seconds)

    background_throttle = Throttle(
        store.budget, limit=3, window=0.6, margin=0.0, reserve=0, sleep=background_sleep
    )
    for _ in range(3):
        throttle.acquire("interactive")
    since = store.now()
    background = threading.Thread(
        target=lambda: [background_throttle.acquire("background") for _ in range(3)]
    )
    background.start()
    assert waiting.wait(5)  # the background caller is already waiting when the person arrives
    throttle.acquire("interactive")
    background.join(5)
    assert not background.is_alive()
    rows = store.conn.execute(
        "SELECT priority FROM api_calls WHERE at >= ? ORDER BY id", (since,)
    ).fetchall()
    assert [r[0] for r in rows] == ["interactive", "background", "background", "background"]
    store.close()


def test_people_saturating_their_share_leave_the_rest_of_each_minute_to_the_poller(
    fake_store, fake_time
):
    """However many people wait, they get at most `interactive_limit` calls a window, and the
    poller (background) gets the rest: it is never starved, minute after minute. (The strict
    rule, "background steps aside while a person waits", gave it none for minutes.)"""
    budget = fake_store.budget
    window, limit, share = 60.5, 10, 7
    budget.add_waiter("corp_records", "interactive", ttl=10_000)  # people always waiting
    grants: list[tuple[float, str]] = []
    start = fake_time.now
    while fake_time.now < start + 300:
        for priority in ("interactive", "background"):  # people ask first, every time
            while (
                budget.try_acquire(
                    "corp_records",
                    limit=limit,
                    window=window,
                    priority=priority,
                    interactive_limit=share,
                )
                == 0.0
            ):
                grants.append((fake_time.now, priority))
        fake_time.now += 0.25
    for t, _ in grants:  # in every window starting at a grant:
        inside = [p for u, p in grants if t <= u < t + window]
        assert len(inside) <= limit
        assert inside.count("interactive") <= share
    for minute in range(4):  # and the poller gets its part of every minute
        lo = start + minute * window
        got = [p for u, p in grants if lo <= u < lo + window]
        assert got.count("background") >= limit - share, (minute, got)
        assert got.count("interactive") == share  # people still get their whole share


def test_background_keeps_the_reserve_rule_while_people_have_room(fake_store, fake_time):
    budget = fake_store.budget
    kwargs = dict(limit=10, window=60.5, interactive_limit=7)
    waiter = budget.add_waiter("corp_records", "interactive", ttl=100)
    # A person waits and may still call: the poller steps aside.
    assert budget.try_acquire("corp_records", priority="background", **kwargs) > 0
    budget.remove_waiter(waiter)
    for _ in range(9):  # nobody waits: the poller takes all but the reserved slot
        assert budget.try_acquire("corp_records", priority="background", **kwargs) == 0.0
    assert budget.try_acquire("corp_records", priority="background", **kwargs) > 0
    assert budget.try_acquire("corp_records", priority="interactive", **kwargs) == 0.0


def test_the_throttle_passes_its_interactive_limit(fake_store, fake_time):
    throttle = Throttle(
        fake_store.budget, limit=4, window=10.0, interactive_limit=2, sleep=fake_time.sleep
    )
    throttle.acquire("interactive", max_wait=0)
    throttle.acquire("interactive", max_wait=0)
    with pytest.raises(BudgetExhaustedError):
        throttle.acquire("interactive", max_wait=0)  # the share is used, though 2 slots are free
    throttle.acquire("background", max_wait=0)
    throttle.acquire("background", max_wait=0)
    with pytest.raises(ValueError):
        Throttle(fake_store.budget, limit=4, interactive_limit=0)


def test_a_poller_in_another_process_gets_calls_while_people_saturate_theirs(tmp_path):
    """Two handles on one file, as two processes: four people keep asking through one, the
    poller takes two calls through the other within the first window, not after the people."""
    db = tmp_path / "shared.db"
    people_store, poller_store = open_store(db), open_store(db)
    kwargs = dict(limit=5, window=1.5, margin=0.0, interactive_limit=3)
    people = Throttle(people_store.budget, **kwargs)
    poller = Throttle(poller_store.budget, **kwargs)
    stop = threading.Event()

    def person() -> None:
        while not stop.is_set():
            people.acquire("interactive")

    threads = [threading.Thread(target=person) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.1)  # the people have taken their share and wait
        started = time.time()
        poller.acquire("background")
        poller.acquire("background")
        took = time.time() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
    kinds = [
        r[0]
        for r in poller_store.conn.execute(
            "SELECT priority FROM api_calls WHERE at <= ? ORDER BY at", (started + took,)
        )
    ]
    people_store.close()
    poller_store.close()
    assert took < 1.0, f"the poller waited {took:.1f} s behind people"
    assert kinds.count("interactive") <= 3 + 3  # the share, in each of at most two windows


CHILD = textwrap.dedent(
    """
    import sys, time
    from bot.store import open_store
    from bot.tencent.throttle import Throttle
    db, start_at, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    store = open_store(db)
    throttle = Throttle(store.budget, limit=5, window=2.0, margin=0.1, reserve=0)
    while time.time() < start_at:
        time.sleep(0.005)
    for _ in range(count):
        throttle.acquire("background")
    """
)


@pytest.mark.slow  # two real processes racing for the budget
def test_limit_holds_across_two_processes(db_location):
    db = db_location  # a SQLite file, or PostgreSQL (replicas)
    open_store(db).close()  # create and migrate once, before the race
    start_at = time.time() + 0.8
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(start_at), "5"])
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=30) == 0
    store = open_store(db)
    times = store.budget.call_times("corp_records", 0)
    pids = {r[0] for r in store.conn.execute("SELECT DISTINCT pid FROM api_calls")}
    store.close()
    assert len(times) == 10
    assert pids == {p.pid for p in procs}  # both processes really took slots
    for i, t in enumerate(times):
        in_window = [u for u in times[i:] if u < t + 2.0]
        assert len(in_window) <= 5, f"{len(in_window)} grants within 2 s of {t}"
    # ... and the second five waited for the first five to leave the window.
    assert times[5] - times[0] >= 2.0
