"""Minutes in recordings' threads, over loopback: the Tencent emulator (content endpoints), the
Slack stand-in, a real SQLite file, driven by poll cycles."""

from __future__ import annotations

import json
import time

import pytest

from bot.admin import add_route
from bot.delivery.threads import REPLY_EVENT_TYPE
from bot.meeting_content import Minutes
from bot.models import BACKGROUND
from bot.slack.minutes import SUMMARY_NOTE_BLOCK_ID
from bot.store.content import STATE_GENERATING
from bot.tencent.errors import BudgetExhaustedError
from tests.conftest import REC_CHANNEL, BotEnv


def add(env: BotEnv, **kw) -> str:
    return env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, transcode_seconds=60, subject="产品周会", **kw
    )


def cycles(env: BotEnv, n: int) -> None:
    """`n` poll cycles, the content backoff elapsing between them."""
    for _ in range(n):
        assert env.cycle().ok
        env.services.store.content.retry_now(STATE_GENERATING)


def file_id(env: BotEnv, mid: str) -> str:
    return env.services.store.recordings.get(mid).record_files[0].record_file_id


def replies(env: BotEnv) -> list[dict]:
    return [
        m
        for m in env.posts(REC_CHANNEL, replies=True)
        if m["thread_ts"] and m["thread_ts"] != m["ts"]
    ]


def parents(env: BotEnv) -> list[dict]:
    return [m for m in env.posts(REC_CHANNEL) if not m["thread_ts"]]


def noted(message: dict) -> bool:
    return any(b.get("block_id") == SUMMARY_NOTE_BLOCK_ID for b in message["blocks"] or [])


def test_minutes_are_posted_once_in_the_thread_after_still_generating(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 4  # minutes and chapters: twice each
    mid = add(bot_env)
    cycles(bot_env, 1)
    assert len(parents(bot_env)) == 1 and replies(bot_env) == []
    cycles(bot_env, 1)
    assert replies(bot_env) == []  # still generating
    cycles(bot_env, 4)
    parent = parents(bot_env)[0]
    posted = replies(bot_env)
    assert len(posted) >= 1
    assert all(m["thread_ts"] == parent["ts"] for m in posted)
    assert all(m["metadata"]["event_type"] == REPLY_EVENT_TYPE for m in posted)
    assert "Minutes" in posted[0]["text"]
    assert noted(parent) and parent["updated"] == 1  # edited in place, once
    delivery = bot_env.services.store.deliveries.get(mid, REC_CHANNEL)
    assert delivery.ts == parent["ts"]
    assert bot_env.services.store.threads.state(mid, REC_CHANNEL, file_id(bot_env, mid)) == "noted"


def test_a_failed_ledger_write_after_the_post_posts_nothing_twice(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    threads = bot_env.services.store.threads
    real = threads.record_reply
    failures = []

    def fail_once(*args, **kwargs):
        if not failures:
            failures.append(args)
            raise OSError("disk gone, just after the post")
        return real(*args, **kwargs)

    monkeypatch.setattr(threads, "record_reply", fail_once)
    mid = add(bot_env)
    cycles(bot_env, 1)
    assert failures and len(replies(bot_env)) == 1  # posted, not recorded
    cycles(bot_env, 3)
    posted = replies(bot_env)
    assert len(posted) == 1
    fid = file_id(bot_env, mid)
    assert threads.replies(mid, REC_CHANNEL, fid) == {0: posted[0]["ts"]}  # found in the thread
    assert bot_env.slack.calls_to("conversations.replies")
    assert noted(parents(bot_env)[0])


def test_a_restarted_process_finds_a_reply_a_dead_one_posted(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    mid = add(bot_env)
    cycles(bot_env, 1)
    fid = file_id(bot_env, mid)
    store = bot_env.services.store
    assert len(replies(bot_env)) == 1
    # As if the process died between the post and its write: the claim stays, no reply row.
    with store.transaction() as conn:
        conn.execute("DELETE FROM content_replies")
        conn.execute(
            "UPDATE content_threads SET state = 'posting', claimed_by = 'dead', claimed_at = ?",
            (store.now(),),
        )
    later = bot_env.restart(clock_offset=3600)  # the dead claim has expired
    later.poller.run_cycle()
    later.poller.run_cycle()
    assert len(replies(bot_env)) == 1
    assert later.store.threads.state(mid, REC_CHANNEL, fid) == "noted"


def test_participant_only_recording_gets_nothing_with_thread(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    mid = add(bot_env, required_participant=True)
    cycles(bot_env, 3)
    assert len(parents(bot_env)) == 1 and replies(bot_env) == []
    assert not noted(parents(bot_env)[0])
    assert bot_env.services.store.content.get_minutes(file_id(bot_env, mid)) is not None


def test_sharing_off_gets_nothing_with_thread(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    add(bot_env, sharing=False)
    cycles(bot_env, 3)
    assert len(parents(bot_env)) == 1 and replies(bot_env) == []


def test_participant_only_recording_gets_its_minutes_with_always(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    add_route(bot_env.services.store, bot_env.services.slack, REC_CHANNEL, ["summary:always"])
    add(bot_env, required_participant=True)
    cycles(bot_env, 3)
    assert len(parents(bot_env)) == 1 and len(replies(bot_env)) >= 1


def test_summary_off_posts_no_minutes(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    add_route(bot_env.services.store, bot_env.services.slack, REC_CHANNEL, ["summary:off"])
    add(bot_env)
    cycles(bot_env, 3)
    assert len(parents(bot_env)) == 1 and replies(bot_env) == []
    assert not noted(parents(bot_env)[0])


def test_channel_mentions_in_minutes_are_inert(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    bot_env.tencent.intelligence.hostile = True
    add(bot_env)
    cycles(bot_env, 3)
    posted = replies(bot_env)
    assert posted
    body = json.dumps([(m["text"], m["blocks"]) for m in posted], ensure_ascii=False)
    assert "<!channel>" not in body and "<@U" not in body
    assert "&lt;!channel&gt;" in body or "channel" in body


def test_ai_off_is_asked_once_and_posts_nothing(bot_env: BotEnv) -> None:
    mid = add(bot_env)
    bot_env.tencent.intelligence.ai_off(mid)
    cycles(bot_env, 5)
    fid = file_id(bot_env, mid)
    assert bot_env.tencent.intelligence.calls_for(fid) == 0  # refused before counting
    store = bot_env.services.store
    assert store.content.status(fid, "minutes").state == "off"
    assert store.content.status(fid, "transcript").state == "off"
    assert store.content.status(fid, "minutes").attempts == 1
    assert replies(bot_env) == [] and not noted(parents(bot_env)[0])
    content_calls = store.conn.execute(
        "SELECT COUNT(*) FROM api_calls WHERE bucket = ?",
        (bot_env.services.tencent.content_throttle.bucket,),
    ).fetchone()[0]
    assert content_calls == 1


def test_content_calls_never_delay_the_records_calls(bot_env: BotEnv) -> None:
    throttle = bot_env.services.tencent.content_throttle
    assert throttle.bucket != bot_env.services.tencent.throttle.bucket
    with pytest.raises(BudgetExhaustedError):  # every content slot of this minute taken
        for _ in range(1000):
            throttle.acquire(BACKGROUND, max_wait=0)
    mid = add(bot_env)
    started = time.monotonic()
    report = bot_env.cycle()
    assert time.monotonic() - started < 5
    assert report.ok and report.calls >= 1 and len(parents(bot_env)) == 1
    assert report.content is not None and report.content.out_of_budget
    fid = file_id(bot_env, mid)
    assert bot_env.services.store.content.status(fid, "minutes").attempts == 0  # not asked


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_routes_lang_gets_the_minutes_translated_else_the_original(bot_env: BotEnv) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    store, slack = bot_env.services.store, bot_env.services.slack
    add_route(store, slack, REC_CHANNEL, ["subject:产品", "lang:en"])
    add(bot_env)  # a Chinese meeting: its minutes are Chinese unless translated
    cycles(bot_env, 3)
    posted = replies(bot_env)
    assert posted
    minutes = json.dumps([m["blocks"] for m in posted], ensure_ascii=False)
    minutes = minutes.replace("产品周会", "")  # the subject, in the header, stays as it is
    assert not _has_cjk(minutes), minutes[:300]
    calls = [c for c in bot_env.tencent.calls if c.path.startswith("/v1/smart/minutes")]
    assert {c.query.get("lang") for c in calls} >= {"en"}


def test_a_routes_lang_option_is_checked() -> None:
    from bot.routing import RouteOptionError, parse_route_options

    assert parse_route_options(["lang:EN"]).lang == "en"
    with pytest.raises(RouteOptionError, match="lang:zh, lang:en"):
        parse_route_options(["lang:fr"])


def test_one_participant_only_file_keeps_the_whole_recordings_minutes_out_of_the_channel(
    bot_env: BotEnv,
) -> None:
    """The channel follows the rule search and `/recordings summary` follow: a recording with
    a participant-only (or unshared) file is not shared, its shared files' minutes included."""
    bot_env.tencent.intelligence.generating_calls = 0
    begin = int((time.time() - 3600) * 1000)

    def file(fid: str, at: int, **kw) -> dict:
        return {
            "record_file_id": fid,
            "record_start_time": begin + at,
            "record_end_time": begin + at + 300_000,
            "record_size": 1000,
            "sharing_state": 1,
            "sharing_url": f"https://meeting.tencent.com/crm/{fid}",
            "required_participant": False,
            **kw,
        }

    for mid, other in (("m-part", {"required_participant": True}), ("m-off", {"sharing_state": 0})):
        bot_env.dataset.add_record(
            {
                "meeting_record_id": mid,
                "meeting_id": "id-" + mid,
                "meeting_code": "123123123",
                "userid": "alice",
                "subject": "Board " + mid,
                "media_start_time": begin,
                "state": 3,
                "record_files": [file(mid + "-a", 0), file(mid + "-b", 400_000, **other)],
            }
        )
    cycles(bot_env, 3)
    assert len(parents(bot_env)) == 2
    store = bot_env.services.store
    assert store.content.get_minutes("m-part-a") is not None  # fetched, kept, not posted
    assert replies(bot_env) == []
    assert not any(noted(p) for p in parents(bot_env))


def test_many_recordings_kept_out_of_the_channel_never_starve_one_that_may_go(
    bot_env: BotEnv,
) -> None:
    """Recordings whose minutes may not go to the channel (participant-only here; AI off or
    still generating alike) stay candidates for a day: they must not take every slot."""
    bot_env.tencent.intelligence.generating_calls = 0
    now = time.time()
    for i in range(25):
        bot_env.dataset.add_meeting(
            start=now - 3600 + i, duration=600, transcode_seconds=60, required_participant=True
        )
    shared = bot_env.dataset.add_meeting(start=now - 7200, duration=600, transcode_seconds=60)
    assert bot_env.cycle().ok
    store = bot_env.services.store
    assert len(parents(bot_env)) == 26
    with store.transaction() as conn:  # the content is all there: no Tencent call needed
        fids = [r[0] for r in conn.execute("SELECT record_file_id FROM record_files")]
    for fid in fids:
        assert store.content.save_minutes(Minutes(fid, minute="Decided", todo="- do it"))
        assert store.content.save_chapters(fid, [])
        store.content.mark_status(fid, "transcript", "off")
    assert bot_env.cycle().ok
    posted = replies(bot_env)
    shared_ts = store.deliveries.get(shared, REC_CHANNEL).ts
    sent = "SELECT meeting_record_id FROM deliveries ORDER BY sent_at"
    assert [r[0] for r in store.conn.execute(sent)][-1] == shared  # sent last
    assert [m["thread_ts"] for m in posted] == [shared_ts]


def test_an_unexpected_failure_on_one_file_never_blocks_the_others(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot_env.tencent.intelligence.generating_calls = 0
    first, second = add(bot_env), add(bot_env)
    content = bot_env.services.store.content
    real = content.save_minutes
    bad = [bot_env.dataset.get(first).files[0].record_file_id]

    def odd_answer(minutes):
        if minutes.record_file_id == bad[0]:
            raise ValueError("an answer we did not expect")
        return real(minutes)

    monkeypatch.setattr(content, "save_minutes", odd_answer)
    cycles(bot_env, 3)
    good = file_id(bot_env, second)
    assert content.get_minutes(good) is not None  # fetched despite the other's failure
    assert content.status(bad[0], "minutes").state == "error"  # backed off, not stuck first
