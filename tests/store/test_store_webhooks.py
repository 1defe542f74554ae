from __future__ import annotations

import threading

import pytest

from bot.store import open_store
from bot.store.webhooks import NONCE_MAX_TTL
from tests.store.conftest import T0


def test_nonce_seen_within_ttl(store, clock):
    hooks = store.webhooks
    assert hooks.seen_nonce("n1", ttl=300) is False
    assert hooks.seen_nonce("n1", ttl=300) is True
    assert hooks.seen_nonce("n2", ttl=300) is False
    clock.now = T0 + 301
    assert hooks.seen_nonce("n1", ttl=300) is False  # expired, recorded afresh
    assert hooks.seen_nonce("n1", ttl=300) is True
    clock.now = T0 + NONCE_MAX_TTL + 1
    assert hooks.seen_nonce("n3", ttl=300) is False
    remaining = [r[0] for r in store.conn.execute("SELECT nonce_key FROM webhook_nonces")]
    assert sorted(remaining) == ["n1", "n3"]  # n2 was older than the longest time to live


def test_each_kind_of_key_keeps_its_own_ttl(store, clock):
    """A short-lived key checked later never makes a long-lived one expire early (a Tencent
    trace id kept 5 minutes must not wipe a Slack event id kept an hour)."""
    hooks = store.webhooks
    assert hooks.seen_nonce("slack-event:Ev1", ttl=3600) is False
    clock.now = T0 + 400
    assert hooks.seen_nonce("trace:t1", ttl=300) is False
    assert hooks.seen_nonce("slack-event:Ev1", ttl=3600) is True
    with pytest.raises(ValueError):
        hooks.seen_nonce("x", ttl=NONCE_MAX_TTL + 1)


def _first_sightings(stores: list, keys: int) -> list[int]:
    """Each store's thread checks the same keys at the same moment; how many each saw first."""
    barrier = threading.Barrier(len(stores))
    firsts = [0] * len(stores)

    def work(n: int) -> None:
        barrier.wait()
        for k in range(keys):
            if not stores[n].webhooks.seen_nonce(f"key{k}", ttl=60):
                firsts[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return firsts


def test_nonce_is_atomic_across_threads(store):
    assert sum(_first_sightings([store] * 5, 1)) == 1
    assert sum(_first_sightings([store] * 4, 30)) == 29  # key0 was seen above


def test_nonce_is_atomic_across_replicas(db_location):
    """Two processes' stores on one database (replicas): each key is new to exactly one."""
    stores = [open_store(db_location) for _ in range(2)]
    try:
        assert sum(_first_sightings(stores * 3, 40)) == 40
    finally:
        for s in stores:
            s.close()


def test_stats(store, clock):
    hooks = store.webhooks
    assert hooks.stats(0) == {"last_event_at": None, "accepted": 0, "duplicates": 0, "rejected": 0}
    hooks.record_event(
        event="recording.completed", trace_id="t1", meeting_id="m1", outcome="accepted"
    )
    clock.now = T0 + 10
    hooks.record_event(
        event="recording.completed", trace_id="t1", meeting_id="m1", outcome="duplicate"
    )
    hooks.record_event(
        event=None, trace_id=None, meeting_id=None, outcome="rejected: bad signature"
    )
    hooks.record_event(event="meeting.started", trace_id="t2", meeting_id="m2", outcome="accepted")
    assert hooks.stats(T0) == {
        "last_event_at": T0 + 10,
        "accepted": 2,
        "duplicates": 1,
        "rejected": 1,
    }
    assert hooks.stats(T0 + 5) == {
        "last_event_at": T0 + 10,
        "accepted": 1,
        "duplicates": 1,
        "rejected": 1,
    }


def test_a_flood_of_rejections_is_capped_per_minute(store, clock):
    hooks = store.webhooks
    recorded = [
        hooks.record_event(
            event=None,
            trace_id=None,
            meeting_id=None,
            outcome="rejected: bad signature",
            per_minute_cap=3,
        )
        for _ in range(5)
    ]
    assert recorded == [True, True, True, False, False]
    assert hooks.record_event(
        event="recording.completed",
        trace_id="t",
        meeting_id="m",
        outcome="accepted",
        per_minute_cap=3,
    )  # other outcomes unaffected
    clock.now = T0 + 61
    assert hooks.record_event(
        event=None,
        trace_id=None,
        meeting_id=None,
        outcome="rejected: stale timestamp",
        per_minute_cap=3,
    )
    assert hooks.stats(T0 - 1)["rejected"] == 4
