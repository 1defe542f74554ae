from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing

import pytest

from bot.store import Store, open_store
from bot.store.deliveries import Delivery
from tests.store.conftest import T0


def rows(store: Store) -> list[tuple]:
    return [
        tuple(r)
        for r in store.conn.execute(
            "SELECT meeting_record_id, channel, route_id, state, attempts, claimed_by "
            "FROM deliveries ORDER BY meeting_record_id, channel"
        )
    ]


def test_plan_inserts_once(store):
    repo = store.deliveries
    assert repo.plan("r1", [("C1", 1), ("C2", None)]) == 2
    assert repo.plan("r1", [("C1", 5), ("C3", 3)], state="skipped") == 1
    assert rows(store) == [
        ("r1", "C1", 1, "pending", 0, None),
        ("r1", "C2", None, "pending", 0, None),
        ("r1", "C3", 3, "skipped", 0, None),
    ]
    with pytest.raises(ValueError):
        repo.plan("r1", [("C9", None)], state="bogus")


def test_claim_returns_previous_row_and_is_exclusive(store, clock):
    repo = store.deliveries
    repo.plan("r1", [("C1", 1)])
    before = repo.claim("r1", "C1", "worker-a")
    assert isinstance(before, Delivery)
    assert (before.state, before.attempts, before.claimed_by) == ("pending", 0, None)
    assert rows(store) == [("r1", "C1", 1, "posting", 1, "worker-a")]
    assert repo.claim("r1", "C1", "worker-b") is None  # held
    assert repo.claim("r1", "nope", "worker-b") is None  # no such row

    # The holder crashed: after the claim TTL another worker takes it and sees 'posting'.
    clock.now = T0 + 121
    again = repo.claim("r1", "C1", "worker-b", claim_ttl=120)
    assert again is not None
    assert (again.state, again.claimed_by, again.claimed_at) == ("posting", "worker-a", T0)
    assert rows(store) == [("r1", "C1", 1, "posting", 2, "worker-b")]

    repo.mark_sent("r1", "C1", "1700000000.000100", "f1,f2")
    assert repo.claim("r1", "C1", "worker-c") is None  # sent: never again
    sent = repo.get("r1", "C1")
    assert (sent.state, sent.ts, sent.files_signature, sent.sent_at) == (
        "sent",
        "1700000000.000100",
        "f1,f2",
        T0 + 121,
    )
    assert repo.sent_for("r1") == [sent]
    repo.update_signature("r1", "C1", "f1,f2,f3")
    assert repo.get("r1", "C1").files_signature == "f1,f2,f3"


def test_failed_waits_for_not_before_and_truncates(store, clock):
    repo = store.deliveries
    repo.plan("r1", [("C1", None)])
    repo.claim("r1", "C1", "w")
    assert repo.mark_failed("r1", "C1", "x" * 2000, not_before=T0 + 30)
    row = repo.get("r1", "C1")
    assert (row.state, len(row.last_error), row.not_before, row.claimed_by) == (
        "failed",
        500,
        T0 + 30,
        None,
    )
    assert repo.due(T0) == []
    assert repo.claim("r1", "C1", "w") is None
    clock.now = T0 + 30
    assert [d.channel for d in repo.due(clock.now)] == ["C1"]
    prior = repo.claim("r1", "C1", "w")
    assert prior.state == "failed" and prior.attempts == 1
    assert repo.get("r1", "C1").attempts == 2


def test_release_returns_to_pending_without_counting(store):
    repo = store.deliveries
    repo.plan("r1", [("C1", None)])
    repo.claim("r1", "C1", "w")
    assert repo.release("r1", "C1")
    row = repo.get("r1", "C1")
    assert (row.state, row.attempts, row.claimed_by, row.last_error) == ("pending", 0, None, None)
    assert not repo.release("r1", "C1")  # not posting any more


def test_due_order_and_expired_claims(store, clock):
    repo = store.deliveries
    repo.plan("old", [("C1", None)])
    clock.now = T0 + 1
    repo.plan("mid", [("C1", None)])
    clock.now = T0 + 2
    repo.plan("new", [("C1", None)])
    repo.plan("skip", [("C1", None)], state="skipped")
    repo.claim("mid", "C1", "w")  # posting, claimed at T0+2
    assert [d.meeting_record_id for d in repo.due(T0 + 10)] == ["old", "new"]
    assert [d.meeting_record_id for d in repo.due(T0 + 200)] == ["old", "mid", "new"]
    assert [d.meeting_record_id for d in repo.due(T0 + 200, limit=1)] == ["old"]
    assert [d.meeting_record_id for d in repo.due(T0 + 10, claim_ttl=5)] == ["old", "mid", "new"]
    assert [d.meeting_record_id for d in repo.due(T0 + 10, claimed_too=True)] == [
        "old",
        "mid",
        "new",
    ]


def test_cancel_counts_and_undelivered(store):
    repo = store.deliveries
    repo.plan("a", [("C1", 7), ("C2", 8)])
    repo.plan("b", [("C1", 7)])
    repo.plan("c", [("C1", 7)])
    repo.claim("b", "C1", "w")
    repo.claim("c", "C1", "w")
    repo.mark_sent("c", "C1", "1.2", "s")
    assert repo.cancel_for_route(7) == 2  # a (pending) and b (posting); c is sent
    assert repo.counts() == {
        "pending": 1,
        "posting": 0,
        "sent": 1,
        "failed": 0,
        "cancelled": 2,
        "skipped": 0,
    }
    assert [(d.meeting_record_id, d.channel) for d in repo.undelivered()] == [("a", "C2")]
    assert not repo.mark_failed("a", "C1", "late")  # cancelled stays cancelled
    assert repo.get("a", "C1").state == "cancelled"


def _race(claimers: list, n_rows: int) -> list[tuple[str, str]]:
    """Every claimer tries every row at once; returns (claimer, row) for each success."""
    barrier = threading.Barrier(len(claimers))
    wins: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(name: str, store: Store) -> None:
        barrier.wait()
        for i in range(n_rows):
            if store.deliveries.claim(f"r{i}", "C1", name) is not None:
                with lock:
                    wins.append((name, f"r{i}"))

    threads = [threading.Thread(target=work, args=c) for c in claimers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return wins


def test_claim_is_atomic_across_threads(store):
    for i in range(20):
        store.deliveries.plan(f"r{i}", [("C1", None)])
    wins = _race([(f"t{n}", store) for n in range(6)], 20)
    assert sorted(row for _, row in wins) == sorted(f"r{i}" for i in range(20))
    assert store.deliveries.counts()["posting"] == 20
    assert store.conn.execute("SELECT MAX(attempts) FROM deliveries").fetchone()[0] == 1


def test_claim_is_atomic_across_store_objects(db_location):
    one, two = open_store(db_location), open_store(db_location)
    try:
        for i in range(20):
            one.deliveries.plan(f"r{i}", [("C1", None)])
        wins = _race([("a1", one), ("a2", one), ("b1", two), ("b2", two)], 20)
        claimed = [row for _, row in wins]
        assert sorted(claimed) == sorted(f"r{i}" for i in range(20))  # each exactly once
        holders = dict(
            two.conn.execute("SELECT meeting_record_id, claimed_by FROM deliveries").fetchall()
        )
        assert holders == {row: name for name, row in wins}
    finally:
        one.close()
        two.close()


def test_flag_for_update_only_sent_rows(store, clock):
    repo = store.deliveries
    repo.plan("r1", [("C1", None), ("C2", None)])
    repo.plan("r2", [("C1", None)])
    repo.claim("r1", "C1", "w")
    repo.mark_sent("r1", "C1", "1.1", "f1")
    assert repo.flag_for_update(["r1", "r2", "missing"]) == 1  # r1/C2 and r2 are not sent yet
    assert repo.flag_for_update(["r1"]) == 0  # already flagged
    flagged = repo.needing_update()
    assert [(d.meeting_record_id, d.channel, d.needs_update) for d in flagged] == [
        ("r1", "C1", True)
    ]
    repo.update_signature("r1", "C1", "f1,f2")
    assert repo.needing_update() == []
    row = repo.get("r1", "C1")
    assert (row.files_signature, row.needs_update) == ("f1,f2", False)


CLAIMER = textwrap.dedent(
    """
    import sys, time
    from bot.store import open_store
    location, name, start_at, rows = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    store = open_store(location)
    while time.time() < start_at:
        time.sleep(0.002)
    for i in range(rows):
        if store.deliveries.claim(f"r{i}", "C1", name) is not None:
            print(f"r{i}", flush=True)
    store.close()
    """
)


@pytest.mark.slow  # four real processes racing for the same rows
def test_claim_is_exclusive_across_processes(db_location):
    """Replicas (or processes on one SQLite file) claiming the same rows at the same moment:
    every row is claimed exactly once, by whoever got it first."""
    with closing(open_store(db_location)) as setup:
        for i in range(60):
            setup.deliveries.plan(f"r{i}", [("C1", None)])
    start_at = time.time() + 1.5
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", CLAIMER, db_location, name, str(start_at), "60"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2", "p3", "p4")
    }
    won = {name: proc.communicate(timeout=60)[0].split() for name, proc in procs.items()}
    assert all(proc.returncode == 0 for proc in procs.values())
    claimed = [row for rows in won.values() for row in rows]
    assert sorted(claimed) == sorted(f"r{i}" for i in range(60))  # each exactly once
    with closing(open_store(db_location)) as check:
        holders = dict(
            check.conn.execute("SELECT meeting_record_id, claimed_by FROM deliveries").fetchall()
        )
        attempts = check.conn.execute("SELECT MAX(attempts) FROM deliveries").scalar()
    assert holders == {row: name for name, rows in won.items() for row in rows}
    assert attempts == 1
