"""The poller over loopback: the Tencent emulator, the Slack stand-in, a real SQLite file."""

from __future__ import annotations

import threading
import time

from bot.admin import add_route
from bot.emulator.tencent.dataset import EmulatedFile
from bot.sync import sync_range
from tests.conftest import ADMIN_CHANNEL_ID, PRODUCT_CHANNEL, REC_CHANNEL, BotEnv


def test_recording_seen_at_1_then_2_then_3_is_posted_once_at_3(bot_env: BotEnv) -> None:
    now = time.time()
    mid = bot_env.dataset.add_meeting(
        start=now - 60, duration=600, transcode_seconds=900, subject="产品周会 第12期"
    )
    report = bot_env.cycle()
    assert report.ok and report.fetched == 1
    assert bot_env.services.store.recordings.get(mid).state == 1
    assert bot_env.posts() == []

    bot_env.tencent.advance(600)  # the meeting ended: transcoding
    bot_env.cycle()
    assert bot_env.services.store.recordings.get(mid).state == 2
    assert bot_env.posts() == []

    bot_env.tencent.advance(900)  # transcoded
    report = bot_env.cycle()
    assert report.completed == [mid]
    posts = bot_env.posts()
    assert len(posts) == 1 and posts[0]["channel"] == REC_CHANNEL
    assert "产品周会 第12期" in posts[0]["text"]
    assert posts[0]["metadata"]["event_payload"]["meeting_record_id"] == mid

    for _ in range(3):
        bot_env.cycle()
    assert len(bot_env.posts()) == 1
    delivery = bot_env.services.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.state == "sent" and delivery.ts == posts[0]["ts"]


def test_two_routes_matching_one_recording_post_to_both_channels_once(bot_env: BotEnv) -> None:
    store = bot_env.services.store
    add_route(store, bot_env.services.slack, PRODUCT_CHANNEL, ["subject:周会"])
    add_route(store, bot_env.services.slack, REC_CHANNEL, ["host:alice"])
    add_route(store, bot_env.services.slack, REC_CHANNEL, [])  # same channel again: once
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3600,
        duration=600,
        transcode_seconds=60,
        subject="产品周会",
        userid="alice",
    )
    bot_env.cycle()
    bot_env.cycle()
    by_channel = {c: len(bot_env.posts(c)) for c in (PRODUCT_CHANNEL, REC_CHANNEL)}
    assert by_channel == {PRODUCT_CHANNEL: 1, REC_CHANNEL: 1}
    states = {d.channel: d.state for d in store.deliveries.sent_for(mid)}
    assert states == {PRODUCT_CHANNEL: "sent", REC_CHANNEL: "sent"}


def test_unmatched_recording_goes_to_the_default_channel_only(bot_env: BotEnv) -> None:
    add_route(bot_env.services.store, bot_env.services.slack, PRODUCT_CHANNEL, ["subject:周会"])
    bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="Hiring sync"
    )
    bot_env.cycle()
    assert len(bot_env.posts(REC_CHANNEL)) == 1
    assert bot_env.posts(PRODUCT_CHANNEL) == []


def test_an_idle_cycle_costs_one_api_call(bot_env: BotEnv) -> None:
    now = time.time()
    for i in range(15):
        bot_env.dataset.add_meeting(
            start=now - 3600 * (i % 10 + 1), duration=600, transcode_seconds=60, subject=f"Sync {i}"
        )
    bot_env.cycle()
    bot_env.tencent.reset_calls()
    report = bot_env.cycle()
    assert report.ok and report.calls == 1
    assert bot_env.tencent.call_count("/v1/corp/records") == 1


def test_a_pending_recording_older_than_the_lookback_is_rechecked_and_posted(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    store, client = bot_env.services.store, bot_env.services.tencent
    old = bot_env.dataset.add_meeting(
        start=now - 30 * 3600, duration=3600, transcode_seconds=60, subject="Long review"
    )
    bot_env.dataset.set_state(old, 2)  # still transcoding after 29 h
    sync_range(store, client, int(now - 31 * 3600), int(now - 20 * 3600))
    assert [m.meeting_record_id for m in store.recordings.pending(now, 72)] == [old]

    report = bot_env.cycle()
    assert any(start <= now - 30 * 3600 <= end for start, end in report.windows)
    assert bot_env.posts() == []

    bot_env.dataset.set_state(old, None)  # transcoding finishes
    report = bot_env.cycle()
    assert report.completed == [old]
    assert len(bot_env.posts(REC_CHANNEL)) == 1


def test_a_recording_pending_past_the_limit_is_reported_stuck(bot_env: BotEnv) -> None:
    now = time.time()
    store, client = bot_env.services.store, bot_env.services.tencent
    mid = bot_env.dataset.add_meeting(start=now - 80 * 3600, duration=600, subject="Stuck one")
    bot_env.dataset.set_state(mid, 2)
    sync_range(store, client, int(now - 81 * 3600), int(now - 79 * 3600))
    report = bot_env.cycle()
    assert report.stuck == [mid]
    assert [m.meeting_record_id for m in store.recordings.stuck()] == [mid]
    notices = bot_env.slack.messages(ADMIN_CHANNEL_ID)
    assert len(notices) == 1 and "did not finish transcoding" in notices[0]["text"]
    bot_env.cycle()
    assert len(bot_env.slack.messages(ADMIN_CHANNEL_ID)) == 1  # reported once


def test_a_recording_that_gains_a_file_updates_its_message(bot_env: BotEnv) -> None:
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="Two parts"
    )
    bot_env.cycle()
    [post] = bot_env.posts()
    meeting = bot_env.dataset.get(mid)
    meeting.files.append(EmulatedFile("9" * 19, meeting.end + 10, meeting.end + 70, 1_000_000))
    report = bot_env.cycle()
    assert report.updated == 1
    [after] = bot_env.posts()
    assert after["ts"] == post["ts"] and after["updated"] == 1
    assert len(bot_env.services.store.recordings.get(mid).record_files) == 2
    # The new file's minutes and transcript are looked for too, as the first one's are.
    assert bot_env.services.store.content.status("9" * 19, "transcript") is not None
    bot_env.cycle()
    assert bot_env.posts()[0]["updated"] == 1  # not edited again


def test_two_pollers_on_one_database_never_both_post(bot_env: BotEnv) -> None:
    now = time.time()
    ids = [
        bot_env.dataset.add_meeting(
            start=now - 3600 - i * 60, duration=600, transcode_seconds=60, subject=f"Meeting {i}"
        )
        for i in range(6)
    ]
    second = bot_env.restart()
    ran: list[bool] = []
    for _ in range(3):
        barrier = threading.Barrier(2)

        def run(services, barrier=barrier) -> None:
            barrier.wait()
            ran.append(services.poller.run_cycle().ran)

        threads = [threading.Thread(target=run, args=(s,)) for s in (bot_env.services, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert ran.count(True) == 3  # one poller per round: the lease holder
    posted = [p["metadata"]["event_payload"]["meeting_record_id"] for p in bot_env.posts()]
    assert sorted(posted) == sorted(ids)


def test_two_deliverers_racing_on_the_same_ledger_post_each_message_once(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    for i in range(8):
        bot_env.dataset.add_meeting(
            start=now - 3600 - i * 60, duration=600, transcode_seconds=60, subject=f"Race {i}"
        )
    store, client = bot_env.services.store, bot_env.services.tencent
    sync_range(store, client, int(now - 7200), int(now), default_channel=REC_CHANNEL)
    others = [bot_env.restart() for _ in range(2)]
    barrier = threading.Barrier(3)

    def deliver(services) -> None:
        barrier.wait()
        services.deliverer.deliver_due()

    threads = [threading.Thread(target=deliver, args=(s,)) for s in (bot_env.services, *others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    posted = [p["metadata"]["event_payload"]["meeting_record_id"] for p in bot_env.posts()]
    assert len(posted) == 8 and len(set(posted)) == 8


def test_the_lease_passes_on_when_its_holder_dies(bot_env: BotEnv) -> None:
    assert bot_env.cycle().ran
    # The first holder "dies" without releasing; a second process waits, then takes over.
    second = bot_env.restart()
    assert not second.poller.run_cycle().ran
    later = bot_env.restart(clock_offset=second.poller.lease_ttl + 1)
    assert later.poller.run_cycle().ran


def test_a_failing_api_is_reported_and_the_next_cycle_recovers(bot_env: BotEnv) -> None:
    bot_env.tencent.faults.add("error", code=9042, count=1)
    report = bot_env.cycle()
    assert not report.ok and "9042" in report.error
    state = bot_env.services.store.state
    assert state.get("poller.consecutive_failures") == 1
    assert "9042" in state.get("poller.last_error")["message"]
    assert bot_env.cycle().ok
    assert state.get("poller.consecutive_failures") == 0


def test_after_downtime_the_poller_catches_up_even_if_a_query_synced_a_recent_range(
    bot_env: BotEnv,
) -> None:
    now = time.time()
    store, client = bot_env.services.store, bot_env.services.tencent
    store.state.set("poller.watermark", int(now - 3 * 86400))  # the bot was down for 3 days
    missed = bot_env.dataset.add_meeting(
        start=now - 2 * 86400, duration=600, transcode_seconds=60, subject="During downtime"
    )
    # Someone asks for the last hour first: that narrow range is synced, not the gap before it.
    sync_range(store, client, int(now - 3600), int(now), priority="interactive")
    report = bot_env.cycle()
    assert missed in report.completed
    assert len(bot_env.posts(REC_CHANNEL)) == 1


def test_a_malformed_record_is_left_out_loudly_and_does_not_block_the_others(
    bot_env: BotEnv,
) -> None:
    from bot.health import collect_health
    from bot.slack.status import status_blocks

    good = bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="Good one"
    )
    bot_env.dataset.add_meeting(
        start=time.time() - 1800, duration=600, transcode_seconds=60, subject="Broken one"
    )
    bot_env.tencent.faults.add("missing_field", field="subject", count=None)
    report = bot_env.cycle()
    assert report.ok and report.completed == [good] and len(report.malformed) == 1
    assert len(bot_env.posts()) == 1
    health = collect_health(bot_env.services.store, bot_env.settings)
    text, blocks = status_blocks(health, "Asia/Shanghai")
    assert "1 malformed record(s) left out" in str(blocks) and ".subject is missing" in str(blocks)

    bot_env.tencent.faults.clear()  # Tencent fixes its data: the record is read on the next poll
    report = bot_env.cycle()
    assert report.malformed == [] and len(bot_env.posts()) == 2
    assert collect_health(bot_env.services.store, bot_env.settings).malformed is None


def test_an_hourly_sweep_finds_a_recording_that_appeared_late(bot_env: BotEnv) -> None:
    now = time.time()
    assert bot_env.cycle().ok  # a first run: the recent lookback only
    store = bot_env.services.store
    assert store.state.get("poller.last_deep_sweep") is not None
    # A recording that started 30 h ago only now shows up in the API (transcoding took long).
    late = bot_env.dataset.add_meeting(
        start=now - 30 * 3600, duration=3600, transcode_seconds=60, subject="Late arrival"
    )
    report = bot_env.cycle()
    assert late not in report.completed  # outside the 12 h lookback
    store.state.set("poller.last_deep_sweep", now - 3601)  # an hour later
    report = bot_env.cycle()
    assert late in report.completed
    assert len(bot_env.posts(REC_CHANNEL)) == 1
    bot_env.tencent.reset_calls()
    assert bot_env.cycle().calls == 1  # back to the cheap cycle


def test_a_cycle_leaves_its_report_in_the_health_record(bot_env: BotEnv) -> None:
    from bot.health import read_poller_record

    bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="Recorded"
    )
    report = bot_env.cycle()
    record = read_poller_record(bot_env.services.store)
    cycle = record.last_cycle
    assert cycle is not None
    assert (cycle["ok"], cycle["calls"], cycle["fetched"]) == (True, report.calls, report.fetched)
    assert (cycle["completed"], cycle["sent"], cycle["failed"]) == (1, report.sent, 0)
    assert record.last_started_at == cycle["started_at"] <= cycle["finished_at"]
    assert record.last_success_at == cycle["finished_at"]
    assert record.next_run_at == cycle["finished_at"] + bot_env.settings.poll_interval_seconds
    assert record.consecutive_failures == 0 and record.malformed is None


def test_a_subject_holding_a_lone_surrogate_is_saved_and_posted(bot_env: BotEnv) -> None:
    # JSON may carry "\ud800" (the emulator sends it escaped, as a server could); UTF-8 cannot
    # hold it, so kept as is it would fail the recording's write in every cycle.
    add_route(bot_env.services.store, bot_env.services.slack, PRODUCT_CHANNEL, ["subject~^Odd"])
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 7200, duration=600, subject="Odd \ud800 sync"
    )
    report = bot_env.cycle()
    assert report.ok, report.error
    assert bot_env.services.store.recordings.get(mid).subject == "Odd \ufffd sync"
    assert len(bot_env.posts(PRODUCT_CHANNEL)) == 1


def test_what_was_said_is_looked_for_in_every_completed_recording_posted_or_not(
    bot_env: BotEnv,
) -> None:
    # Search covers all the company's meetings: the content is asked for when a recording
    # completes, not only once a channel got it (here Slack refuses every post).
    bot_env.slack.fail("chat.postMessage", status=500, count=100)
    bot_env.tencent.intelligence.generating_calls = 0
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="预算评审"
    )
    bot_env.cycle()
    assert bot_env.posts() == []
    store = bot_env.services.store
    fid = store.recordings.get(mid).record_files[0].record_file_id
    assert store.content.get_transcript(fid) is not None  # fetched in the same cycle


def test_the_transcript_search_index_is_merged_about_daily(bot_env: BotEnv) -> None:
    from bot.store.content import OPTIMIZED_KEY

    store = bot_env.services.store
    bot_env.cycle()
    first = store.state.get(OPTIMIZED_KEY)
    assert first is not None
    bot_env.cycle()
    assert store.state.get(OPTIMIZED_KEY) == first  # not again within the day
    assert store.content.optimize_index_if_due(every=0.0)
    assert store.state.get(OPTIMIZED_KEY) >= first
