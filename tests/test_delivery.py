"""Exactly-once delivery through Slack's failures, crashes and restarts (over loopback)."""

from __future__ import annotations

import time

import pytest

from bot.admin import add_route, remove_route
from bot.backfill import backfill
from tests.conftest import ADMIN_CHANNEL_ID, PRODUCT_CHANNEL, REC_CHANNEL, BotEnv


def _completed(bot_env: BotEnv, subject: str = "Weekly sync", **kwargs) -> str:
    return bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject=subject, **kwargs
    )


def _backfill(bot_env: BotEnv, days: int, **options):
    """Backfill the last DAYS days quietly, as `recordings-bot backfill` does."""
    now = int(time.time())
    services = bot_env.services
    return backfill(
        services.store,
        services.tencent,
        now - days * 86400,
        now,
        rate_limit=100,
        progress=False,
        echo=lambda _: None,
        **options,
    )


def test_a_crash_between_post_and_write_does_not_post_twice(bot_env: BotEnv, monkeypatch) -> None:
    mid = _completed(bot_env)
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
    ids = {_completed(bot_env, f"Outage {i}") for i in range(3)}
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


def test_a_short_rate_limit_is_waited_out(bot_env: BotEnv) -> None:
    _completed(bot_env)
    waits: list[float] = []
    bot_env.services.deliverer._sleep = waits.append
    bot_env.slack.fail("chat.postMessage", status=429, retry_after=2)
    report = bot_env.cycle()
    assert report.sent == 1 and waits == [2.0]
    assert len(bot_env.posts()) == 1


def test_a_long_rate_limit_defers_the_channel_until_retry_after(bot_env: BotEnv) -> None:
    mid = _completed(bot_env)
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
    _completed(bot_env)
    bot_env.cycle()
    assert len(bot_env.posts("CNOTJOIN1")) == 1
    assert bot_env.slack.calls_to("conversations.join")


def test_a_missing_channel_breaks_the_route_tells_admins_once_and_keeps_the_recording(
    bot_env: BotEnv,
) -> None:
    bot_env.slack.add_channel("CDOOMED01", "doomed")
    route = add_route(bot_env.services.store, bot_env.services.slack, "CDOOMED01", [])
    bot_env.slack.channel("CDOOMED01").is_archived = True
    mid = _completed(bot_env)
    bot_env.cycle()
    bot_env.cycle()
    store = bot_env.services.store
    assert [r.id for r in store.routes.broken()] == [route.id]
    notices = bot_env.slack.messages(ADMIN_CHANNEL_ID)
    assert len(notices) == 1 and "archived" in notices[0]["text"]
    assert store.deliveries.get(mid, "CDOOMED01").state == "failed"

    # Unarchived: the recording is posted on a later try, and the admins hear it works again.
    bot_env.slack.channel("CDOOMED01").is_archived = False
    later = bot_env.restart(clock_offset=700)
    later.deliverer.deliver_due()
    assert len(bot_env.posts("CDOOMED01")) == 1
    assert store.routes.broken() == []
    assert "works again" in bot_env.slack.messages(ADMIN_CHANNEL_ID)[-1]["text"]


def test_removing_a_broken_route_cancels_what_it_still_owed(bot_env: BotEnv) -> None:
    bot_env.slack.add_channel("CDOOMED02", "doomed-too", is_archived=True)
    route = add_route(bot_env.services.store, None, "CDOOMED02", [])
    mid = _completed(bot_env)
    bot_env.cycle()
    remove_route(bot_env.services.store, route.id)
    assert bot_env.services.store.deliveries.get(mid, "CDOOMED02").state == "cancelled"
    assert bot_env.services.store.deliveries.undelivered() == []


def test_a_subject_that_would_ping_everyone_is_escaped(bot_env: BotEnv) -> None:
    _completed(bot_env, "<!channel> test <@U123> & co")
    bot_env.cycle()
    [post] = bot_env.posts()
    assert "<!channel>" not in post["text"] and "&lt;!channel&gt;" in post["text"]
    mrkdwn = list(_mrkdwn_texts(post["blocks"]))
    assert mrkdwn and not any("<!channel>" in t or "<@U123>" in t for t in mrkdwn)


def _mrkdwn_texts(node):
    """Every mrkdwn text in a block tree (plain_text is never parsed for mentions by Slack)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from _mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item)


def test_backfill_does_not_post_old_recordings_unless_asked(bot_env: BotEnv) -> None:
    now = time.time()
    for day in range(1, 40, 3):
        bot_env.dataset.add_meeting(start=now - day * 86400, duration=600, subject=f"Day {day}")
    services = bot_env.services
    report = _backfill(bot_env, 40, default_channel=REC_CHANNEL)
    assert report.outcome.fetched == 13
    assert report.outcome.calls == 2  # 40 days: two windows of at most 31 days
    bot_env.cycle()
    assert bot_env.posts() == []
    assert services.store.deliveries.counts()["skipped"] == 13

    again = _backfill(bot_env, 40)
    assert again.outcome.calls <= 1  # synced ranges are not fetched again


def test_backfill_with_notify_posts_to_the_routes(bot_env: BotEnv) -> None:
    now = time.time()
    add_route(bot_env.services.store, None, PRODUCT_CHANNEL, ["subject:周会"])
    bot_env.dataset.add_meeting(start=now - 5 * 86400, duration=600, subject="周会 old")
    services = bot_env.services
    _backfill(bot_env, 6, default_channel=REC_CHANNEL, notify=True)
    services.deliverer.deliver_due()
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1


def test_an_edit_of_a_deleted_message_is_given_up_not_retried_forever(bot_env: BotEnv) -> None:
    from slack_sdk import WebClient

    from bot.emulator.tencent.dataset import EmulatedFile

    mid = _completed(bot_env, "Deleted later")
    bot_env.cycle()
    [post] = bot_env.posts()
    WebClient(token="xoxb-test-token", base_url=bot_env.slack.api_url).chat_delete(
        channel=post["channel"], ts=post["ts"]
    )
    meeting = bot_env.dataset.get(mid)
    meeting.files.append(EmulatedFile("8" * 19, meeting.end + 10, meeting.end + 70, 1_000))
    bot_env.cycle()
    assert bot_env.services.store.deliveries.needing_update() == []
    updates = len(bot_env.slack.calls_to("chat.update"))
    bot_env.cycle()
    assert len(bot_env.slack.calls_to("chat.update")) == updates == 1


def test_a_backfill_before_the_first_poll_still_posts_what_the_poller_would(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    recent = _completed(bot_env, "Finished an hour ago")
    bot_env.dataset.add_meeting(start=now - 5 * 86400, duration=600, subject="Last week")
    services = bot_env.services
    _backfill(bot_env, 6, default_channel=REC_CHANNEL, lookback_seconds=12 * 3600)
    services.deliverer.deliver_due()
    posted = [p["metadata"]["event_payload"]["meeting_record_id"] for p in bot_env.posts()]
    assert posted == [recent]
    assert services.store.deliveries.counts()["skipped"] == 1


def test_delivery_stops_when_the_poller_loses_its_lease(bot_env: BotEnv) -> None:
    from bot.sync import sync_range

    for i in range(3):
        _completed(bot_env, f"Lease {i}")
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
