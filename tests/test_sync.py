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
        deleted=[f"gone{n}"],
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
        deleted=["gone1", "gone2"],
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


def _busy_window(bot_env: BotEnv, n: int) -> tuple[int, int]:
    now = int(time.time())
    start, end = now - 10 * 86400, now - 86400
    for i in range(n):
        bot_env.tencent.dataset.add_meeting(
            start=start + 600 + i * 3000, duration=600, subject=f"Busy {i}"
        )
    return start, end


def test_a_page_limited_sync_asked_again_goes_on_where_it_stopped(bot_env: BotEnv) -> None:
    from bot.tencent.client import PageLimit

    store, client = bot_env.services.store, bot_env.services.tencent
    start, end = _busy_window(bot_env, 150)  # 8 pages of 20
    outcomes = [sync_range(store, client, start, end, page_limit=PageLimit(3)) for _ in range(3)]
    assert [o.truncated for o in outcomes] == [True, True, False]
    assert bot_env.tencent.call_count("/v1/corp/records") == 8  # each page read once
    assert store.recordings.count() == 150
    assert store.recordings.missing_ranges(start, end) == []  # the window is synced now


def test_a_resumed_sync_whose_window_changed_reads_it_again_from_the_first_page(
    bot_env: BotEnv,
) -> None:
    from bot.tencent.client import PageLimit

    store, client = bot_env.services.store, bot_env.services.tencent
    start, end = _busy_window(bot_env, 50)  # 3 pages
    assert sync_range(store, client, start, end, page_limit=PageLimit(2)).truncated
    bot_env.tencent.dataset.add_meeting(start=start + 300, duration=60, subject="Late arrival")
    # The count changed: the pages may have shifted, so page 3 alone proves nothing.
    assert sync_range(store, client, start, end, page_limit=PageLimit(2)).truncated
    assert store.recordings.missing_ranges(start, end) != []
    final = sync_range(store, client, start, end, page_limit=PageLimit(5))
    assert not final.truncated and store.recordings.count() == 51
    assert store.recordings.missing_ranges(start, end) == []


def test_routing_and_the_password_rule_never_run_inside_the_write_transaction(
    bot_env: BotEnv, monkeypatch
) -> None:
    import bot.routing
    from bot.admin import add_route

    store, client = bot_env.services.store, bot_env.services.tencent
    add_route(store, bot_env.services.slack, "CPRODUCT1", ["subject~^Weekly", "password:hide"])
    now = int(time.time())
    bot_env.tencent.dataset.add_meeting(
        start=now - 7200, duration=600, subject="Weekly sync", password="4321"
    )
    seen: list[bool] = []
    original = bot.routing.subject_matches

    def spying(pattern, subject):
        seen.append(store.conn.in_transaction)
        return original(pattern, subject)

    monkeypatch.setattr(bot.routing, "subject_matches", spying)
    outcome = sync_range(store, client, now - 86400, now)
    assert outcome.deliveries_planned == 1
    assert seen and not any(seen)  # every match ran with no write lock held


def test_a_route_removed_between_routing_and_the_write_plans_nothing_for_it(
    bot_env: BotEnv, monkeypatch
) -> None:
    import bot.sync
    from bot.admin import add_route, remove_route

    store, client = bot_env.services.store, bot_env.services.tencent
    route = add_route(store, bot_env.services.slack, "CPRODUCT1", ["subject:Weekly"])
    now = int(time.time())
    mid = bot_env.tencent.dataset.add_meeting(start=now - 7200, duration=600, subject="Weekly")
    original = bot.sync.route_fetched

    def then_removed(*args, **kwargs):
        routed = original(*args, **kwargs)
        remove_route(store, route.id)  # an admin, between the routing and the transaction
        return routed

    monkeypatch.setattr(bot.sync, "route_fetched", then_removed)
    sync_range(store, client, now - 86400, now)
    assert [d.channel for d in store.deliveries.sent_for(mid)] == []
    rows = store.conn.execute("SELECT channel FROM deliveries WHERE meeting_record_id = ?", (mid,))
    assert "CPRODUCT1" not in [r[0] for r in rows]
