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


def _quiet_backfill(bot_env: BotEnv, start: float, end: float):
    from bot.content_backfill import backfill_content

    services = bot_env.services
    backfill(
        services.store,
        services.tencent,
        int(start),
        int(end),
        rate_limit=100,
        default_channel=REC_CHANNEL,
        progress=False,
        echo=lambda _: None,
    )
    return backfill_content(
        services.store,
        services.tencent,
        int(start),
        int(end),
        rate_limit=60,
        progress=False,
        echo=lambda _: None,
    )


def test_a_backfill_fetches_the_content_of_older_recordings_once(bot_env: BotEnv) -> None:
    """Transcripts (searchable), minutes and chapters of older completed recordings: one call
    each per file; a second backfill asks nothing; an AI-off file is asked once, never again;
    "still generating" is left to the poller's backoff."""
    now = time.time()
    emu = bot_env.tencent.intelligence
    emu.generating_calls = 0
    dataset = bot_env.dataset
    ready = [
        dataset.add_meeting(start=now - day * 86400, duration=900, subject=f"Budget review {day}")
        for day in (3, 5, 9)
    ]
    off = dataset.add_meeting(start=now - 4 * 86400, duration=600, subject="AI off")
    emu.ai_off(off)
    later = dataset.add_meeting(start=now - 6 * 86400, duration=600, subject="Still generating")
    emu.set_generating(later, 1)
    live = dataset.add_meeting(start=now - 2 * 86400, duration=600, subject="Transcoding")
    dataset.set_state(live, 2)

    report = _quiet_backfill(bot_env, now - 12 * 86400, now)
    store = bot_env.services.store
    fetch = report.fetch
    assert report.files == 5  # the transcoding one is not completed yet
    assert fetch.saved == 3 * 3 + 2  # the generating file: its minutes and chapters are ready
    assert fetch.off == 1 and fetch.generating == 1 and fetch.errors == 0
    assert fetch.calls == 3 * 3 + 1 + 3  # AI off answered once for the whole file
    for mid in ready:
        fid = store.recordings.get(mid).record_files[0].record_file_id
        assert store.content.get_transcript(fid) is not None
        assert store.content.get_minutes(fid) is not None
        assert store.content.get_chapters(fid) is not None
    off_file = store.recordings.get(off).record_files[0].record_file_id
    assert store.content.status(off_file, "transcript").state == "off"
    calls_before = {
        f.record_file_id: emu.calls_for(f.record_file_id)
        for mid in (*ready, off, later)
        for f in store.recordings.get(mid).record_files
    }

    again = _quiet_backfill(bot_env, now - 12 * 86400, now)
    assert again.asked == 0 and again.fetch.calls == 0
    assert calls_before == {fid: emu.calls_for(fid) for fid in calls_before}
    assert bot_env.posts() == []  # nothing posted, no thread either
