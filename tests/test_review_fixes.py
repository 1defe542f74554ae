"""Regression tests for defects found in review (over loopback, the real bot and emulators)."""

from __future__ import annotations

import time

from bot.admin import add_route, remove_route
from bot.backfill import backfill
from tests.conftest import PRODUCT_CHANNEL, REC_CHANNEL, BotEnv


def test_a_watched_recording_completed_by_a_quiet_backfill_is_still_posted(
    bot_env: BotEnv,
) -> None:
    """The poller saw it transcoding; a `backfill --force` (no --notify) then fetched it first
    once it completed: it must still be posted, not marked skipped for ever."""
    now = time.time()
    mid = bot_env.dataset.add_meeting(start=now - 7200, duration=600, subject="Watched")
    bot_env.dataset.set_state(mid, 2)
    bot_env.cycle()
    assert bot_env.posts() == []
    assert bot_env.services.store.recordings.get(mid).state == 2

    bot_env.dataset.set_state(mid, 3)
    services = bot_env.services
    report = backfill(
        services.store,
        services.tencent,
        int(now - 86400),
        int(now),
        rate_limit=100,
        default_channel=REC_CHANNEL,
        force=True,
        progress=False,
        echo=lambda _: None,
    )
    assert mid in report.outcome.completed
    bot_env.cycle()
    posts = bot_env.posts(REC_CHANNEL)
    assert len(posts) == 1
    assert posts[0]["metadata"]["event_payload"]["meeting_record_id"] == mid


def test_an_old_recording_a_quiet_backfill_finds_completed_is_not_posted(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    bot_env.dataset.add_meeting(start=now - 5 * 86400, duration=600, subject="Old")
    services = bot_env.services
    backfill(
        services.store,
        services.tencent,
        int(now - 6 * 86400),
        int(now - 4 * 86400),
        rate_limit=100,
        default_channel=REC_CHANNEL,
        progress=False,
        echo=lambda _: None,
    )
    services.deliverer.deliver_due()
    assert bot_env.posts() == []
    assert services.store.deliveries.counts()["skipped"] == 1


def test_an_edit_after_its_route_was_removed_never_offers_a_password(bot_env: BotEnv) -> None:
    """A `password:hide` route is removed, then the recording gains a file: the edited message
    must not fall back to the default policy's Show password button."""
    store = bot_env.services.store
    route = add_route(store, None, PRODUCT_CHANNEL, ["subject:Secret", "password:hide"])
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3600,
        duration=600,
        transcode_seconds=60,
        subject="Secret board",
        password="123456",
    )
    bot_env.cycle()
    (post,) = bot_env.posts(PRODUCT_CHANNEL)
    assert "show_password" not in str(post["blocks"])

    remove_route(store, route.id)
    store.deliveries.flag_for_update([mid])
    report = bot_env.services.deliverer.deliver_due()
    assert report.updated == 1
    (edited,) = bot_env.posts(PRODUCT_CHANNEL)
    assert edited["ts"] == post["ts"]
    assert "show_password" not in str(edited["blocks"])
    assert "123456" not in str(edited)


def test_a_message_slack_refuses_does_not_hold_back_its_channel(
    bot_env: BotEnv, monkeypatch
) -> None:
    """One recording whose message Slack rejects (invalid_blocks) stays undelivered, and the
    channel's later recordings are still posted, cycle after cycle."""
    import bot.delivery.messages

    real = bot.delivery.messages.recording_message

    def rendering(meeting, **kwargs):
        text, blocks = real(meeting, **kwargs)
        if meeting.subject == "Poison":
            blocks = [{"type": "divider"}] * 51  # the stand-in refuses this: invalid_blocks
        return text, blocks

    monkeypatch.setattr(bot.delivery.messages, "recording_message", rendering)
    now = time.time()
    bot_env.dataset.add_meeting(
        start=now - 4000, duration=600, transcode_seconds=60, subject="Poison"
    )
    bot_env.cycle()
    assert bot_env.posts(REC_CHANNEL) == []
    later = bot_env.dataset.add_meeting(
        start=now - 3000, duration=600, transcode_seconds=60, subject="Later"
    )
    bot_env.cycle()
    posts = bot_env.posts(REC_CHANNEL)
    assert [p["metadata"]["event_payload"]["meeting_record_id"] for p in posts] == [later]
    assert bot_env.services.store.deliveries.counts()["failed"] == 1


def test_a_backfill_until_today_does_not_mark_the_future_synced(bot_env: BotEnv) -> None:
    """`backfill --until <today>` asks up to midnight: the synced ranges must stop at now, or
    the poller would skip its catch-up after a downtime longer than the lookback."""
    now = time.time()
    store = bot_env.services.store
    backfill(
        store,
        bot_env.services.tencent,
        int(now - 2 * 86400),
        int(now + 12 * 3600),
        rate_limit=100,
        progress=False,
        echo=lambda _: None,
    )
    synced_until = store.recordings.synced_until()
    assert synced_until is not None
    assert synced_until <= time.time() + 1
