"""Exactly-once delivery through Slack's failures, crashes and restarts (over loopback)."""

from __future__ import annotations

import time

import pytest

from bot.admin import add_route
from bot.delivery import Deliverer
from bot.stopping import ShuttingDown
from bot.sync import sync_range
from tests.conftest import PRODUCT_CHANNEL, REC_CHANNEL, BotEnv
from tests.delivery.meetings import completed, quiet_backfill


def test_a_crash_between_post_and_write_does_not_post_twice(bot_env: BotEnv, monkeypatch) -> None:
    mid = completed(bot_env)
    deliveries = bot_env.services.store.deliveries

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("the process died right after chat.postMessage")

    monkeypatch.setattr(deliveries, "mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        bot_env.cycle()
    [post] = bot_env.posts()
    monkeypatch.undo()

    # A restart right away: the claim of the dead process has not expired yet.
    restarted = bot_env.restart()
    restarted.poller.release()
    bot_env.services.poller.release()
    assert restarted.deliverer.deliver_due().sent == 0
    # Later, the claim expired: the restarted process finds its own message instead of posting.
    later = bot_env.restart(clock_offset=300)
    report = later.deliverer.deliver_due()
    assert report.recovered == 1 and report.sent == 0
    assert len(bot_env.posts()) == 1
    delivery = later.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.state == "sent" and delivery.ts == post["ts"]


def test_a_slack_outage_for_three_cycles_loses_nothing(bot_env: BotEnv) -> None:
    ids = {completed(bot_env, f"Outage {i}") for i in range(3)}
    bot_env.slack.outage(True)
    for _ in range(3):
        report = bot_env.cycle()
        assert not report.ok and report.error.startswith("Slack")
    assert bot_env.posts() == []
    failed = bot_env.services.store.deliveries.undelivered()
    assert {d.meeting_record_id for d in failed} == ids
    # The first try in the channel failed and kept its error; the rest of the channel waited.
    assert sorted(d.state for d in failed) == ["failed", "pending", "pending"]
    assert all(d.last_error and "503" in d.last_error for d in failed if d.state == "failed")

    bot_env.slack.outage(False)
    report = bot_env.cycle()
    assert report.ok
    posted = [p["metadata"]["event_payload"]["meeting_record_id"] for p in bot_env.posts()]
    assert sorted(posted) == sorted(ids)
    bot_env.cycle()
    assert len(bot_env.posts()) == 3


def _synced(bot_env: BotEnv) -> None:
    """Save the last two hours' recordings and plan their deliveries, as a cycle would."""
    services, now = bot_env.services, int(time.time())
    sync_range(services.store, services.tencent, now - 7200, now, default_channel=REC_CHANNEL)


def _deliverer(bot_env: BotEnv, sleep) -> Deliverer:
    services = bot_env.services
    return Deliverer(services.store, services.slack, services.settings, min_interval=0, sleep=sleep)


def test_a_short_rate_limit_is_waited_out(bot_env: BotEnv) -> None:
    completed(bot_env)
    _synced(bot_env)
    waits: list[float] = []
    bot_env.slack.fail("chat.postMessage", status=429, retry_after=2)
    report = _deliverer(bot_env, waits.append).deliver_due()
    assert report.sent == 1 and waits == [2.0]
    assert len(bot_env.posts()) == 1


def test_a_post_is_tried_twice_at_most(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    _synced(bot_env)
    waits: list[float] = []
    bot_env.slack.fail("chat.postMessage", status=429, retry_after=1, count=2)
    report = _deliverer(bot_env, waits.append).deliver_due()
    assert report.failed == 1 and report.sent == 0 and waits == [1.0]
    assert len(bot_env.slack.calls_to("chat.postMessage")) == 2 and bot_env.posts() == []
    delivery = bot_env.services.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.state == "failed" and "ratelimited" in delivery.last_error


def test_a_stop_during_a_rate_limit_wait_hands_the_delivery_back(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    _synced(bot_env)

    def stopping(seconds: float) -> None:
        raise ShuttingDown("stopping")

    bot_env.slack.fail("chat.postMessage", status=429, retry_after=2)
    with pytest.raises(ShuttingDown):
        _deliverer(bot_env, stopping).deliver_due()
    delivery = bot_env.services.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.state == "pending" and delivery.last_error is None
    assert bot_env.posts() == []


def test_a_dropped_post_is_not_retried_and_the_next_run_searches_before_posting(
    bot_env: BotEnv,
) -> None:
    """The delivery client does not retry chat.postMessage: the next run searches first."""
    mid = completed(bot_env)
    _synced(bot_env)
    deliverer = bot_env.services.deliverer
    bot_env.slack.fail("chat.postMessage", drop=True)
    report = deliverer.deliver_due()
    assert report.failed == 1 and report.error.startswith("RemoteDisconnected")
    assert len(bot_env.slack.calls_to("chat.postMessage")) == 1
    assert bot_env.slack.calls_to("conversations.history") == []

    report = deliverer.deliver_due()
    assert report.sent == 1 and len(bot_env.posts()) == 1
    assert len(bot_env.slack.calls_to("conversations.history")) == 1
    assert bot_env.services.store.deliveries.get(mid, REC_CHANNEL).state == "sent"


def test_a_long_rate_limit_defers_the_channel_until_retry_after(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    bot_env.slack.fail("chat.postMessage", status=429, retry_after=120)
    bot_env.cycle()
    delivery = bot_env.services.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.state == "failed" and delivery.not_before > time.time() + 100
    bot_env.cycle()
    assert bot_env.posts() == []  # Retry-After honoured
    later = bot_env.restart(clock_offset=130)
    later.deliverer.deliver_due()
    assert len(bot_env.posts()) == 1


def test_not_in_channel_joins_the_public_channel_and_posts(bot_env: BotEnv) -> None:
    bot_env.slack.add_channel("CNOTJOIN1", "town-hall", bot_member=False)
    add_route(bot_env.services.store, bot_env.services.slack, "CNOTJOIN1", [])
    completed(bot_env)
    bot_env.cycle()
    assert len(bot_env.posts("CNOTJOIN1")) == 1
    assert bot_env.slack.calls_to("conversations.join")


def test_backfill_does_not_post_old_recordings_unless_asked(bot_env: BotEnv) -> None:
    now = time.time()
    for day in range(1, 40, 3):
        bot_env.dataset.add_meeting(start=now - day * 86400, duration=600, subject=f"Day {day}")
    services = bot_env.services
    report = quiet_backfill(bot_env, 40, default_channel=REC_CHANNEL)
    assert report.outcome.fetched == 13
    assert report.outcome.calls == 2  # 40 days: two windows of at most 31 days
    bot_env.cycle()
    assert bot_env.posts() == []
    assert services.store.deliveries.counts()["skipped"] == 13

    again = quiet_backfill(bot_env, 40)
    assert again.outcome.calls <= 1  # synced ranges are not fetched again


def test_backfill_with_notify_posts_to_the_routes(bot_env: BotEnv) -> None:
    now = time.time()
    add_route(bot_env.services.store, None, PRODUCT_CHANNEL, ["subject:周会"])
    bot_env.dataset.add_meeting(start=now - 5 * 86400, duration=600, subject="周会 old")
    services = bot_env.services
    quiet_backfill(bot_env, 6, default_channel=REC_CHANNEL, notify=True)
    services.deliverer.deliver_due()
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1


def test_a_backfill_before_the_first_poll_still_posts_what_the_poller_would(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    recent = completed(bot_env, "Finished an hour ago")
    bot_env.dataset.add_meeting(start=now - 5 * 86400, duration=600, subject="Last week")
    services = bot_env.services
    quiet_backfill(bot_env, 6, default_channel=REC_CHANNEL, lookback_seconds=12 * 3600)
    services.deliverer.deliver_due()
    posted = [p["metadata"]["event_payload"]["meeting_record_id"] for p in bot_env.posts()]
    assert posted == [recent]
    assert services.store.deliveries.counts()["skipped"] == 1


def test_delivery_stops_when_the_poller_loses_its_lease(bot_env: BotEnv) -> None:
    for i in range(3):
        completed(bot_env, f"Lease {i}")
    services = bot_env.services
    now = int(time.time())
    sync_range(services.store, services.tencent, now - 7200, now, default_channel=REC_CHANNEL)
    asked: list[bool] = []

    def keep_going() -> bool:  # the lease is lost after the first post
        asked.append(True)
        return len(asked) == 1

    report = services.deliverer.deliver_due(keep_going=keep_going)
    assert report.sent == 1 and len(bot_env.posts()) == 1
    assert len(services.store.deliveries.undelivered()) == 2  # left for the lease holder
