"""The access requests' ledger, on both engines: one row per apply_id, one posting claim at a
time (a dead attempt's taken over once it expires), one decision, never changed."""

from __future__ import annotations

from bot.store import Store
from bot.store.access import CLAIM_SECONDS, DECIDING_SECONDS, MAX_ATTEMPTS
from tests.store.conftest import Clock


def add(store: Store, apply_id: str = "a1") -> bool:
    return store.access.add(
        apply_id=apply_id,
        meeting_record_id="m1",
        meeting_id="mt1",
        subject="Q3 plan",
        host_userid="alice",
        requester_userid="bob",
        requester_name="Bob",
        note="please",
        requested_at=None,
    )


def test_a_request_is_kept_once(store: Store) -> None:
    assert add(store) is True
    assert add(store) is False  # the same event again
    (row,) = store.access.all()
    assert (row.apply_id, row.state, row.requested_at) == ("a1", "new", store.now())


def test_posting_is_claimed_once_and_a_dead_claim_taken_over_after_it_expires(
    store: Store, clock: Clock
) -> None:
    add(store)
    assert store.access.claim_post("a1", "p1") == 0  # nothing can have been posted
    assert store.access.claim_post("a1", "p2") is None  # p1 is at it
    assert store.access.due() == []
    clock.now += CLAIM_SECONDS + 1
    assert store.access.due() == ["a1"]
    assert store.access.claim_post("a1", "p2") == 1  # p1 may have posted: look first
    store.access.posted("a1", "D1", "1.0")
    assert store.access.claim_post("a1", "p3") is None
    assert store.access.get("a1").ts == "1.0"


def test_a_failed_post_waits_its_backoff_then_is_given_up(store: Store, clock: Clock) -> None:
    add(store)
    for attempt in range(MAX_ATTEMPTS):
        assert store.access.claim_post("a1", "p1") == attempt
        store.access.post_failed("a1", "internal_error", 60)
        assert store.access.claim_post("a1", "p1") is None  # not before its backoff
        clock.now += 61
    assert store.access.get("a1").state == "gave_up"
    assert store.access.due() == []


def test_one_decision_is_taken_and_never_changed(store: Store, clock: Clock) -> None:
    add(store)
    assert store.access.claim_decision("a1", "U1") is True
    assert store.access.claim_decision("a1", "U2") is False  # U1's click is being answered
    store.access.release_decision("a1")  # Tencent refused U1's
    assert store.access.claim_decision("a1", "U2") is True
    store.access.decide("a1", "ignored", "U2")
    store.access.decide("a1", "approved", "U1")  # too late: changes nothing
    clock.now += DECIDING_SECONDS + 1
    assert store.access.claim_decision("a1", "U1") is False
    row = store.access.get("a1")
    assert (row.decision, row.decided_by) == ("ignored", "U2")
