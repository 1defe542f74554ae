"""Backfill over loopback against the Tencent emulator and the Slack stand-in: its outcome is every
range's outcome, merged; without --notify, what it leaves to be posted, what it marks skipped, and
how far it marks the past synced (regressions found in review)."""

from __future__ import annotations

import time

from bot.backfill import backfill
from bot.emulator.tencent.dataset import EmulatedFile
from tests.conftest import REC_CHANNEL, BotEnv


def test_a_backfill_keeps_every_field_of_its_ranges(bot_env: BotEnv) -> None:
    """Malformed records and changed files of each range reach the report (they were once
    dropped when the ranges were added up by hand)."""
    now = time.time()
    services = bot_env.services
    mid = bot_env.dataset.add_meeting(start=now - 2 * 86400, duration=600, subject="Two parts")

    def run(start: float, end: float, **kwargs):
        return backfill(
            services.store,
            services.tencent,
            int(start),
            int(end),
            rate_limit=100,
            default_channel=REC_CHANNEL,
            progress=False,
            echo=lambda _: None,
            **kwargs,
        )

    assert run(now - 3 * 86400, now).outcome.completed == [mid]
    meeting = bot_env.dataset.get(mid)
    meeting.files.append(EmulatedFile("9" * 19, meeting.end + 10, meeting.end + 70, 1_000_000))
    bot_env.tencent.faults.add("missing_field", field="subject")  # the older window's page
    report = run(now - 40 * 86400, now, force=True)  # two windows of at most 31 days
    outcome = report.outcome
    assert report.ranges_fetched == 2
    assert outcome.files_changed == [mid]
    assert len(outcome.malformed) == 1 and outcome.calls == 2
    assert not outcome.truncated


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
