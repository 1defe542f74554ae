"""Syncing a range: the outcomes of its windows, and of several ranges, add up in one place."""

from __future__ import annotations

import dataclasses
import time

from bot.sync import SyncOutcome, sync_range
from tests.conftest import BotEnv


def _outcome(n: int) -> SyncOutcome:
    """An outcome with every field away from its default (so a new field shows up here)."""
    return SyncOutcome(
        fetched=n,
        new=[f"new{n}"],
        completed=[f"done{n}"],
        files_changed=[f"files{n}"],
        deliveries_planned=10 * n,
        calls=100 * n,
        malformed=[f"bad{n}"],
        truncated=n == 2,
    )


def test_merge_adds_up_every_field() -> None:
    default = SyncOutcome()
    assert all(
        getattr(_outcome(1), f.name) != getattr(default, f.name)
        for f in dataclasses.fields(SyncOutcome)
        if f.name != "truncated"
    )
    total = SyncOutcome()
    total += _outcome(1)
    assert total == _outcome(1)
    merged = total.merge(_outcome(2))
    assert merged is total
    assert total == SyncOutcome(
        fetched=3,
        new=["new1", "new2"],
        completed=["done1", "done2"],
        files_changed=["files1", "files2"],
        deliveries_planned=30,
        calls=300,
        malformed=["bad1", "bad2"],
        truncated=True,
    )
    total += _outcome(3)
    assert total.truncated  # once cut short, the sum says so


def test_a_long_range_adds_up_its_windows(bot_env: BotEnv) -> None:
    now = int(time.time())
    store, client = bot_env.services.store, bot_env.services.tencent
    bot_env.tencent.faults.add("missing_field", field="subject", count=None)
    outcome = sync_range(store, client, now - 40 * 86400, now)  # two windows of at most 31 days
    assert outcome.calls == bot_env.tencent.call_count("/v1/corp/records") >= 2
    assert len(outcome.malformed) == outcome.calls  # one broken record on every page
    assert outcome.fetched == store.recordings.count()
    assert not outcome.truncated
