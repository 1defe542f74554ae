"""bot.slack.answers.slash: what `/recordings TEXT` answers, over the real stack: signed HTTP into
the Bolt app, answers captured at the Slack stand-in's response_url, the Tencent emulator behind
the client."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import RecordFile, RecordMeeting
from bot.slack.answers import slash
from bot.slack.answers.more_button import parse_more_value
from bot.slack.answers.slash import render_query_page
from bot.store import open_store

ADMIN, MEMBER, GUEST = "UADMIN001", "UMEMBER01", "UGUEST001"  # as in conftest.py
DAY = 86400


def meeting(
    mid: str, start: float, subject: str = "Weekly sync", userid: str = "alice", state: int = 3
) -> RecordMeeting:
    begin = int(start * 1000)
    files = ()
    if state == 3:
        files = (
            RecordFile(
                record_file_id=f"{mid}-f",
                record_start_time=begin,
                record_end_time=begin + 1_800_000,
                record_size=200_000_000,
                sharing_state=1,
                sharing_url=f"https://meeting.tencent.com/crm/{mid}",
                password="pw-" + mid,
                allow_download=True,
            ),
        )
    return RecordMeeting(
        meeting_record_id=mid,
        meeting_id="m" + mid,
        meeting_code="123456789",
        userid=userid,
        media_start_time=begin,
        subject=subject,
        state=state,
        record_files=files,
    )


def synced_store(env, *meetings: RecordMeeting) -> None:
    """Put recordings in the store and mark everything up to now synced (fresh), as the
    poller does: the synced range and the poller's watermark."""
    store = env.services.store
    store.recordings.save_meetings(meetings)
    now = int(time.time())
    store.recordings.mark_synced(0, now)
    store.state.set("poller.watermark", now)


def ask(env, text: str, user: str = MEMBER, count: int = 1) -> list[dict]:
    response, url = env.slash(text, user=user)
    assert response.status_code == 200
    return env.wait_answer(url, lambda payloads: len(payloads) >= count)


def flat(payload: dict) -> str:
    """Everything a payload shows, as one string (text and blocks)."""
    return json.dumps(payload, ensure_ascii=False)


def mrkdwn_texts(payload: dict) -> str:
    """The texts Slack parses as mrkdwn (the message text and every mrkdwn object)."""
    found = [payload.get("text", "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks") or [])
    return "\n".join(found)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "today",
        "yesterday",
        "week",
        "this week",
        "last week",
        "7d",
        "30d",
        "2026-11-20",
        "2026-11-01..2026-11-20",
        "2026-01-01..2026-03-31",
        "search 周会",
        "host alice",
        "今天",
        "昨天",
        "本周",
        "上周",
        "last week search sync",
    ],
)
def test_every_query_form_is_acked_and_answered_ephemerally_from_the_store(slack_env, text):
    synced_store(slack_env, meeting("r1", time.time() - 600, "产品周会 第1期"))
    payloads = ask(slack_env, text)
    answer = payloads[0]
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["type"] == "header"
    assert slack_env.tencent.call_count() == 0  # synced: the store answers


def test_today_lists_what_started_today_and_not_earlier(slack_env):
    now = time.time()
    synced_store(
        slack_env,
        meeting("r-now", now - 120, "Fresh sync"),
        meeting("r-old", now - 3 * DAY, "Old review"),
    )
    answer = ask(slack_env, "today")[0]
    shown = flat(answer)
    assert "Fresh sync" in shown
    assert "Old review" not in shown
    assert "1 recording" in answer["text"]


def test_today_depends_on_the_askers_time_zone(slack_env):
    now = time.time()
    la, sh = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Shanghai")
    slack_env.slack.add_user("UPACIFIC1", name="pat", tz="America/Los_Angeles")
    starts = {
        zone: datetime.fromtimestamp(now, zone)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .timestamp()
        for zone in (la, sh)
    }
    earlier = min(starts, key=starts.get)  # the zone whose today began first
    synced_store(
        slack_env,
        meeting("r-early", starts[earlier] + 60, "Early bird"),
        meeting("r-both", now - 60, "Just now"),
    )
    for user, zone in (("UPACIFIC1", la), (MEMBER, sh)):
        shown = flat(ask(slack_env, "today", user=user)[0])
        assert "Just now" in shown
        assert ("Early bird" in shown) == (zone is earlier), (user, shown)
    assert slack_env.tencent.call_count() == 0


def test_unsynced_range_is_fetched_then_answered_from_the_store(slack_env):
    store = slack_env.services.store
    answer = ask(slack_env, "yesterday")[0]
    assert slack_env.tencent.call_count("/v1/corp/records") >= 1
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.fromtimestamp(time.time(), tz).replace(hour=0, minute=0, second=0)
    start, end = int((today - timedelta(days=1)).timestamp()), int(today.timestamp())
    assert store.recordings.missing_ranges(start, end) == []
    expected = [m for m in slack_env.tencent.dataset.meetings() if start <= m.start < end]
    assert expected, "the emulated company has meetings every day"
    shown = flat(answer)
    for m in expected[:3]:
        assert m.subject.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in shown
    # Asked again: now synced, no more calls.
    calls = slack_env.tencent.call_count()
    ask(slack_env, "yesterday")
    assert slack_env.tencent.call_count() == calls


def test_a_range_longer_than_31_days_is_fetched_in_windows(slack_env):
    now = int(time.time())
    store = slack_env.services.store
    store.recordings.mark_synced(now - 8 * DAY, now)  # the poller has the last week (busy)
    store.state.set("poller.watermark", now)
    answer = ask(slack_env, "40d")[0]
    assert slack_env.tencent.call_count("/v1/corp/records") >= 2  # two 31-day windows at least
    assert slack_env.services.store.recordings.missing_ranges(now - 39 * DAY, now - 60) == []
    assert "recordings" in answer["text"]


def test_stale_recent_part_is_fetched_but_a_fresh_one_is_not(slack_env):
    store = slack_env.services.store
    now = int(time.time())
    store.recordings.mark_synced(now - 3 * DAY, now - 3600)  # the poller is an hour late
    ask(slack_env, "today")
    assert slack_env.tencent.call_count() >= 1
    assert store.recordings.synced_until() >= now
    calls = slack_env.tencent.call_count()
    ask(slack_env, "today")  # synced moments ago: fresh enough
    assert slack_env.tencent.call_count() == calls


def test_spent_budget_sends_a_waiting_message_then_replaces_it(slack_env):
    # Ten grants made 59.4 s ago: the budget is spent for about another second.
    past = open_store(slack_env.settings.recordings_db, clock=lambda: time.time() - 59.4)
    for _ in range(10):
        assert (
            past.budget.try_acquire("corp_records", limit=10, window=60.5, priority="interactive")
            == 0.0
        )
    past.close()
    payloads = ask(slack_env, "yesterday", count=2)
    waiting, final = payloads[0], payloads[1]
    assert waiting["text"].startswith("Fetching from Tencent Meeting, about ")
    assert "10 calls a minute" in waiting["text"]
    assert not waiting.get("replace_original")
    assert final["replace_original"] is True
    assert final["response_type"] == "ephemeral"
    assert final["blocks"][0]["type"] == "header"
    assert slack_env.tencent.call_count("/v1/corp/records") >= 1


def test_tencent_refusal_is_explained_without_a_trace(slack_env):
    slack_env.tencent.faults.add("error", count=None, code=9042, message="no permission")
    answer = ask(slack_env, "yesterday")[0]
    assert "Tencent Meeting refused the request" in answer["text"]
    assert "Traceback" not in flat(answer)


def test_mention_like_subject_renders_harmlessly(slack_env):
    synced_store(slack_env, meeting("r-evil", time.time() - 300, "<!channel> <@U123> & co"))
    shown = mrkdwn_texts(ask(slack_env, "today")[0])
    assert "&lt;!channel&gt; &lt;@U123&gt; &amp; co" in shown
    assert "<!channel>" not in shown and "<@U123>" not in shown


def test_search_finds_chinese_subjects_and_escapes_the_words_echoed(slack_env):
    now = time.time()
    synced_store(
        slack_env,
        meeting("r-zh", now - DAY, "产品周会 第7期"),
        meeting("r-en", now - DAY, "Design review"),
    )
    shown = flat(ask(slack_env, "search 周会")[0])
    assert "产品周会 第7期" in shown and "Design review" not in shown
    answer = ask(slack_env, "search <b>&amp;")[0]
    assert "<b>" not in mrkdwn_texts(answer)
    assert "&lt;b&gt;&amp;" in answer["text"]
    assert "No recordings found" in flat(answer)


def test_host_filters_by_tencent_userid(slack_env):
    now = time.time()
    synced_store(
        slack_env,
        meeting("r-a", now - 3600, "Alice's sync", userid="alice"),
        meeting("r-b", now - 3600, "Bob's sync", userid="bob"),
    )
    shown = flat(ask(slack_env, "host bob")[0])
    assert "Bob's sync" in shown and "Alice's sync" not in shown


def test_mine_uses_the_link_an_admin_set(slack_env):
    now = time.time()
    synced_store(
        slack_env,
        meeting("r-a", now - 3600, "Alice's sync", userid="alice"),
        meeting("r-m", now - 3600, "Mo's sync", userid="mo"),
    )
    assert "Linked" in ask(slack_env, f"link <@{MEMBER}|mo> alice", user=ADMIN)[0]["text"]
    shown = flat(ask(slack_env, "mine")[0])
    assert "Alice's sync" in shown and "Mo's sync" not in shown


def test_mine_falls_back_to_the_email_local_part(slack_env):
    now = time.time()
    synced_store(
        slack_env,
        meeting("r-a", now - 3600, "Alice's sync", userid="alice"),
        meeting("r-m", now - 3600, "Mo's sync", userid="mo"),
    )
    shown = flat(ask(slack_env, "我的")[0])  # mo@example.com
    assert "Mo's sync" in shown and "Alice's sync" not in shown


def test_mine_without_link_or_email_says_how_to_get_linked(slack_env):
    slack_env.slack.add_user("UNOMAIL01", name="nomail", tz="Asia/Shanghai")
    synced_store(slack_env)
    answer = ask(slack_env, "mine", user="UNOMAIL01")[0]
    assert "link @you TENCENT_USERID" in answer["text"]


def test_help_and_unknown_text_get_the_help(slack_env):
    member_help = flat(ask(slack_env, "help")[0])
    assert "/recordings yesterday" in member_help and "route add" not in member_help
    assert "route add" in flat(ask(slack_env, "帮助", user=ADMIN)[0])
    answer = ask(slack_env, "<!here> frobnicate")[0]
    assert answer["text"].startswith("Sorry, I didn't understand that")
    assert "&lt;!here&gt;" in answer["text"] and "<!here>" not in mrkdwn_texts(answer)
    assert "/recordings last week" in flat(answer)


@pytest.mark.parametrize("text", ["today", "search 周会", "mine", "help", "route list", "nonsense"])
def test_guests_are_refused_for_every_form(slack_env, text):
    synced_store(slack_env, meeting("r1", time.time() - 60, "Secret plans"))
    answer = ask(slack_env, text, user=GUEST)[0]
    assert "guests can't look up meeting recordings" in answer["text"]
    assert "Secret plans" not in flat(answer)


def test_empty_result_says_so_and_suggests_a_wider_range(slack_env):
    synced_store(slack_env)
    answer = ask(slack_env, "yesterday")[0]
    shown = flat(answer)
    assert "No recordings found" in shown and "wider range" in shown


def test_long_results_page_with_a_more_button(slack_env):
    # Yesterday at noon in the asker's zone, so the 25 talks never straddle a midnight.
    noon = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=12, minute=0) - timedelta(days=1)
    synced_store(
        slack_env,
        *(meeting(f"r{i:02d}", noon.timestamp() - i * 60, f"Talk {i:02d}") for i in range(25)),
    )
    answer = ask(slack_env, "yesterday")[0]
    more = [
        element
        for block in answer["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "more_results"
    ]
    assert len(more) == 1
    text, page = parse_more_value(more[0]["value"])
    assert (text, page) == ("yesterday", 1)
    assert "Talk 00" in flat(answer) and "Talk 10" not in flat(answer)
    page_text, blocks = render_query_page(slack_env.deps, MEMBER, text, page)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Talk 10" in shown and "Talk 00" not in shown
    assert "11–20" in shown
    # The last page has no More button.
    _, blocks = render_query_page(slack_env.deps, MEMBER, text, 2)
    assert "more_results" not in json.dumps(blocks)
    assert "Talk 24" in json.dumps(blocks, ensure_ascii=False)


def test_render_query_page_refuses_guests_and_never_runs_admin_commands(slack_env):
    text, _ = render_query_page(slack_env.deps, GUEST, "today", 0)
    assert "guests" in text
    render_query_page(slack_env.deps, ADMIN, "route default <#CGENERAL1>", 0)
    assert slack_env.services.store.routes.list() == []


def test_unexpected_failure_gets_a_polite_answer(slack_env, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom at https://hooks.slack.com/secret-path")

    monkeypatch.setattr(slash, "answer_query", broken)
    synced_store(slack_env)
    answer = ask(slack_env, "today")[0]
    assert answer["text"].startswith("Something went wrong on our side")
    assert "boom" not in flat(answer)
    assert "RuntimeError" in caplog.text
    assert "secret-path" not in caplog.text


def test_someone_slack_cannot_identify_gets_nothing_until_it_can(slack_env):
    synced_store(slack_env, meeting("r1", time.time() - 60, "Visible"))
    unknown = "UNOBODY01"  # users.info answers user_not_found: might be a guest
    for text in ("today", "route list"):
        answer = flat(ask(slack_env, text, user=unknown)[0])
        assert "Slack did not tell me who you are" in answer and "Visible" not in answer
    assert slack_env.services.store.routes.list() == []


def test_a_known_user_keeps_working_from_the_cache_when_slack_stumbles(slack_env):
    synced_store(slack_env, meeting("r1", time.time() - 60, "Visible"))
    assert "Visible" in flat(ask(slack_env, "today")[0])  # cached now
    slack_env.services.store.conn.execute("UPDATE slack_users SET fetched_at = 0")  # stale
    slack_env.slack.fail("users.info", status=500, count=5)
    assert "Visible" in flat(ask(slack_env, "today")[0])


def test_a_long_unsynced_period_costs_at_most_a_minute_of_the_budget(slack_env):
    now = time.time()
    for i in range(400):  # a busy account: 400 recordings over the last 100 days
        slack_env.tencent.dataset.add_meeting(
            start=now - 3600 - i * 21_000, duration=600, subject=f"Busy {i}"
        )
    payloads = ask(slack_env, "100d")
    answer = flat(payloads[-1])
    # Half of people's 7 calls a minute: one question never takes more than its fair part.
    assert slack_env.tencent.call_count("/v1/corp/records") <= 3
    assert "only its most recent part was fetched" in answer
    assert "one question may fetch 3 pages" in answer
    assert "ask for a shorter period, e.g. `/recordings 20" in answer  # a week to ask for
    assert "Busy 0" in answer  # the newest recordings are there
    store = slack_env.services.store
    assert store.recordings.missing_ranges(int(now - 100 * 86400), int(now - 40 * 86400))
