"""Recordings deleted in Tencent Meeting, seen by polling: their messages are edited to say so
(once, without buttons), the store keeps them marked and offers them nowhere; a listing cut
short (an error, a page limit) or holding a broken record never deletes anything."""

from __future__ import annotations

import json
import time

from tests.conftest import REC_CHANNEL, BotEnv


def posted(bot_env: BotEnv) -> str:
    """A completed recording, posted by a cycle; its id."""
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3 * 3600, duration=600, transcode_seconds=60, subject="预算评审 Q3"
    )
    assert bot_env.cycle().ok
    assert len(bot_env.posts(REC_CHANNEL)) == 1
    return mid


def message_of(bot_env: BotEnv, mid: str) -> dict:
    (message,) = [
        m
        for m in bot_env.posts(REC_CHANNEL)
        if m["metadata"]["event_payload"]["meeting_record_id"] == mid
    ]
    return message


def test_a_recording_gone_from_a_complete_listing_is_deleted_and_its_message_edited(
    bot_env: BotEnv,
) -> None:
    mid = posted(bot_env)
    kept = bot_env.dataset.add_meeting(start=time.time() - 2 * 3600, duration=600, subject="留下")
    bot_env.cycle()
    bot_env.dataset.remove(mid)  # deleted in Tencent Meeting

    report = bot_env.cycle()

    assert report.ok, report.error
    store = bot_env.services.store
    assert store.recordings.get(mid).deleted
    assert not store.recordings.get(kept).deleted
    message = message_of(bot_env, mid)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Recording deleted: 预算评审 Q3" in shown
    assert not [b for b in message["blocks"] if b["type"] == "actions"]  # no Watch, no buttons
    assert message["updated"] == 1
    # Offered nowhere any more.
    assert [m.meeting_record_id for m in store.recordings.search("预算")] == []
    now = int(time.time())
    assert mid not in [m.meeting_record_id for m in store.recordings.in_range(now - 86400, now)]
    # Later cycles change nothing: the message was edited once.
    for _ in range(2):
        assert bot_env.cycle().ok
    assert message_of(bot_env, mid)["updated"] == 1
    assert len(bot_env.posts(REC_CHANNEL)) == 2


def test_a_poll_cut_short_by_an_error_deletes_nothing(bot_env: BotEnv) -> None:
    mid = posted(bot_env)
    bot_env.dataset.remove(mid)
    bot_env.tencent.faults.add("500", count=10)

    report = bot_env.cycle()

    assert not report.ok
    assert not bot_env.services.store.recordings.get(mid).deleted
    assert message_of(bot_env, mid)["updated"] == 0


def test_a_listing_with_a_broken_record_deletes_nothing(bot_env: BotEnv) -> None:
    mid = posted(bot_env)
    bot_env.dataset.remove(mid)
    bot_env.tencent.faults.add("missing_field", count=10, field="meeting_id")

    bot_env.cycle()

    assert not bot_env.services.store.recordings.get(mid).deleted
    assert message_of(bot_env, mid)["updated"] == 0


def test_a_recording_listed_again_is_offered_again(bot_env: BotEnv) -> None:
    mid = posted(bot_env)
    meeting = bot_env.dataset.get(mid)
    bot_env.dataset.remove(mid)
    bot_env.cycle()
    assert bot_env.services.store.recordings.get(mid).deleted

    bot_env.dataset.add_meeting(
        start=meeting.start,
        duration=600,
        transcode_seconds=60,
        subject="预算评审 Q3",
        meeting_record_id=mid,
        meeting_id=meeting.meeting_id,
        meeting_code=meeting.meeting_code,
    )
    bot_env.cycle()

    assert not bot_env.services.store.recordings.get(mid).deleted
    assert [m.meeting_record_id for m in bot_env.services.store.recordings.search("预算")] == [mid]
