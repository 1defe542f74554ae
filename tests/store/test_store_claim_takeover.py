"""A claim made by a process that then died (SIGKILL) is taken over by the next claimer that
checks liveness once DEAD_CLAIM_GRACE has passed (not after the claim's whole life), on either
engine; a live claimer's claim is never taken."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.store import DEAD_CLAIM_GRACE, Store, open_store

ROOT = Path(__file__).resolve().parents[2]

# Claims one delivery and one thread as `claimer`, the way the deliverer does, then waits.
CLAIMER = """
import sys
from bot.store import open_store

store = open_store(sys.argv[1])
claimer = sys.argv[2]
store.hold_claims(claimer)
got = store.deliveries.claim("r1", "C1", claimer, live_claims_only=True)
thread = store.threads.claim("r1", "C1", "f1", claimer, live_claims_only=True)
print("claimed" if got is not None and thread == 0 else "refused", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def db(db_location: str) -> Iterator[str]:
    with closing(open_store(db_location)) as store:
        store.deliveries.plan("r1", [("C1", None)])
    yield db_location


@pytest.fixture
def claimed(db: str) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, db, "host:1:first"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "claimed"
    yield child
    if child.poll() is None:
        child.kill()
    child.communicate(timeout=10)


def second(db: str, *, later: float = DEAD_CLAIM_GRACE + 1) -> Store:
    """Another process's store, `later` seconds on (by default past the grace a dead claim
    keeps, for a post it may have had on its way to Slack)."""
    store = open_store(db, clock=lambda: time.time() + later)
    store.hold_claims("host:2:second")
    return store


def test_a_live_claimers_claims_are_not_taken(db: str, claimed) -> None:
    with closing(second(db)) as store:
        assert store.deliveries.claim("r1", "C1", "host:2:second", live_claims_only=True) is None
        assert store.threads.claim("r1", "C1", "f1", "host:2:second", live_claims_only=True) is None


def test_a_killed_claimers_claims_are_taken_over_at_once(db: str, claimed, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.store.deliveries")
    claimed.send_signal(signal.SIGKILL)
    claimed.wait(timeout=10)
    with closing(second(db, later=0)) as store:  # at once: it may still be posting
        assert store.deliveries.claim("r1", "C1", "host:2:second", live_claims_only=True) is None
    with closing(second(db)) as store:
        before = store.deliveries.claim("r1", "C1", "host:2:second", live_claims_only=True)
        assert before is not None and before.state == "posting"  # so it looks for the post
        assert before.claimed_by == "host:1:first"
        assert store.deliveries.get("r1", "C1").claimed_by == "host:2:second"
        assert store.threads.claim("r1", "C1", "f1", "host:2:second", live_claims_only=True) == 1
    assert "host:1:first is gone; taking over" in caplog.text


def test_without_the_check_a_dead_claim_waits_for_its_expiry(db: str, claimed) -> None:
    claimed.send_signal(signal.SIGKILL)
    claimed.wait(timeout=10)
    with closing(second(db)) as store:
        assert store.deliveries.claim("r1", "C1", "host:2:second") is None
        assert store.threads.claim("r1", "C1", "f1", "host:2:second") is None
