"""One member must not starve everyone's answers and the channel posts (issue 10, part 2).

Over the real stack (signed slash requests into the Bolt app, the Tencent emulator, the Slack
stand-in): a burst of year-long queries from one member, or several members' fetches, must
neither hold up other people's answers from the store nor take every API call from the poller.
The assertions are on order and behaviour (who was answered before what finished).
"""

from __future__ import annotations

import threading
import time

from bot.slack.listeners.after_ack import AfterAck
from tests.slack_env import ADMIN, MEMBER, SlackEnv, start_slack_env, stop_slack_env

DAY = 86400
OTHERS = [f"UOTHER{i:03d}" for i in range(12)]
STILL_WORKING = "still working on your last question"
PROMPT = 5.0  # seconds an answer that needs no API call may take, on a loaded 2-core machine


def add_people(env: SlackEnv) -> None:
    for i, user in enumerate(OTHERS):
        env.slack.add_user(user, name=f"other{i}", tz="Asia/Shanghai", email=f"o{i}@example.com")


def store_has_the_last_days(env: SlackEnv, days: int = 3) -> None:
    """As after the poller's cycles: the last days synced and fresh."""
    store = env.services.store
    now = int(time.time())
    store.recordings.mark_synced(now - days * DAY, now)
    store.state.set("poller.watermark", now)


def spend_the_budget(env: SlackEnv, seconds: float = 100.0) -> None:
    """Tencent throttled us: no call is granted for `seconds` (fetches wait, within 120 s)."""
    env.services.store.budget.block_until("corp_records", time.time() + seconds)


def texts(env: SlackEnv, url: str) -> list[str]:
    return [payload.get("text", "") for payload in env.responses_to(url)]


def final_answer(env: SlackEnv, url: str) -> bool:
    """Whether `url` got more than the waiting message."""
    return any(not t.startswith("Fetching from Tencent Meeting") for t in texts(env, url))


def test_a_burst_of_year_long_queries_from_one_member_starves_nobody(slack_env):
    add_people(slack_env)
    store_has_the_last_days(slack_env)
    spend_the_budget(slack_env)
    urls = []
    for _ in range(16):
        response, url = slack_env.slash("365d", user=MEMBER)
        assert response.status_code == 200
        urls.append(url)
    # One question is being fetched (it waits for the API, and says so); every other one is
    # told at once that the bot is still working on that one.
    first = [slack_env.wait_answer(url, timeout=PROMPT)[0] for url in urls]
    fetching = [
        url for url, answer in zip(urls, first, strict=True) if STILL_WORKING not in answer["text"]
    ]
    assert len(fetching) == 1, [answer["text"] for answer in first]
    for answer in first:
        if STILL_WORKING in answer["text"]:
            assert "365d" in answer["text"] and answer["response_type"] == "ephemeral"
    # Others are answered promptly: help, and a query the store can answer.
    _, help_url = slack_env.slash("help", user=OTHERS[0])
    _, week_url = slack_env.slash("yesterday", user=OTHERS[1])
    assert "/recordings" in slack_env.wait_answer(help_url, timeout=PROMPT)[0]["text"]
    week = slack_env.wait_answer(week_url, timeout=PROMPT)[0]
    assert week["blocks"][0]["type"] == "header"
    # ... before the long question was answered: it still waits for the API.
    assert not final_answer(slack_env, fetching[0])
    assert slack_env.tencent.call_count("/v1/corp/records") == 0


def test_answers_from_the_store_never_wait_behind_fetches(tmp_path):
    """More members fetching than there are workers: help and store answers still come."""
    env = start_slack_env(tmp_path, after_ack=AfterAck(workers=2, queue=8))
    try:
        add_people(env)
        store_has_the_last_days(env)
        spend_the_budget(env)
        fetching = []
        for user in OTHERS[:4]:  # four people, each with one long question
            _, url = env.slash("365d", user=user)
            fetching.append(url)
        for url in fetching:  # each is waiting for the budget (told so)
            env.wait_answer(url, timeout=PROMPT)
        _, help_url = env.slash("help", user=ADMIN)
        _, day_url = env.slash("yesterday", user=MEMBER)
        assert "/recordings" in env.wait_answer(help_url, timeout=PROMPT)[0]["text"]
        assert env.wait_answer(day_url, timeout=PROMPT)[0]["blocks"][0]["type"] == "header"
        assert not any(final_answer(env, url) for url in fetching)
    finally:
        stop_slack_env(env)


def test_the_poller_gets_its_calls_while_people_saturate_the_budget(slack_env):
    """Eight members ask for a year each (3 calls each, 24 in all, against people's 7 a
    minute): the poller's cycle still gets its call at once instead of after all of them."""
    add_people(slack_env)
    urls = []
    for user in OTHERS[:8]:
        _, url = slack_env.slash("365d", user=user)
        urls.append(url)
    # Wait until people have taken their share of the minute and some wait for more.
    deadline = time.time() + PROMPT
    while slack_env.tencent.call_count("/v1/corp/records") < 7 and time.time() < deadline:
        time.sleep(0.05)
    assert slack_env.tencent.call_count("/v1/corp/records") >= 7
    reports = []
    cycle = threading.Thread(target=lambda: reports.append(slack_env.services.poller.run_cycle()))
    cycle.start()
    cycle.join(PROMPT)
    assert not cycle.is_alive(), "the poller found no call while people were waiting"
    report = reports[0]
    assert report.ok and report.calls >= 1
    assert not all(final_answer(slack_env, url) for url in urls)  # people still waiting
    # Never over the limit: people their 7, the poller the rest.
    kinds = [
        row[0]
        for row in slack_env.services.store.conn.execute(
            "SELECT priority FROM api_calls WHERE bucket = 'corp_records'"
        )
    ]
    assert kinds.count("interactive") == 7 and 1 <= kinds.count("background") <= 3


def test_more_clicks_that_fetch_wait_on_the_api_lane_not_before_store_answers(tmp_path):
    """A More button whose page needs Tencent is fetched on the API lane, like the command."""
    from bot.slack.answers.more_button import more_value
    from bot.slack.blocks import ACTION_MORE
    from tests.slack.answers.test_clicks import click

    env = start_slack_env(tmp_path, after_ack=AfterAck(workers=2, queue=8))
    try:
        add_people(env)
        store_has_the_last_days(env)
        spend_the_budget(env)
        fetching = [click(env, ACTION_MORE, more_value("365d", 1), user=u) for u in OTHERS[:4]]
        for url in fetching:  # each is waiting for the budget (told so, in place)
            answer = env.wait_answer(url, timeout=PROMPT)[0]
            assert answer["replace_original"] is True
        _, help_url = env.slash("help", user=ADMIN)
        _, day_url = env.slash("yesterday", user=MEMBER)
        assert "/recordings" in env.wait_answer(help_url, timeout=PROMPT)[0]["text"]
        assert env.wait_answer(day_url, timeout=PROMPT)[0]["blocks"][0]["type"] == "header"
        assert not any(final_answer(env, url) for url in fetching)
    finally:
        stop_slack_env(env)
