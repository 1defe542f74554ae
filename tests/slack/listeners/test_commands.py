"""bot.slack.listeners.commands: `/recordings` is acknowledged at once and answered after the ack,
over the real stack (signed HTTP into the Bolt app, answers at the stand-in's response_url)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.slack.answers import slash
from bot.slack.listeners.after_ack import AfterAck
from bot.slack.texts import BUSY, RESTARTING
from tests.slack_env import SlackEnv, start_slack_env, stop_slack_env

WAIT = 10.0


def test_the_ack_is_empty_and_the_answer_follows_at_the_response_url(slack_env) -> None:
    response, url = slack_env.slash("help")
    assert response.status_code == 200
    assert response.text == ""  # nothing in the ack: the answer goes to the response_url
    [answer] = slack_env.wait_answer(url)
    assert answer["response_type"] == "ephemeral"
    assert "/recordings yesterday" in str(answer["blocks"])


def test_a_command_mentioning_payload_is_answered(slack_env) -> None:
    """Bolt once read any form body holding "payload" as a click (bot/slack/bolt_fixes.py)."""
    answer, url = slack_env.slash("search payload")
    assert answer.status_code == 200 and answer.text == ""
    (payload,) = slack_env.wait_answer(url)
    assert "payload" in payload["text"]


def test_stopping_ends_an_answer_waiting_for_the_api_and_says_the_bot_restarts(slack_env):
    slack_env.services.store.budget.block_until("corp_records", time.time() + 60)  # spent
    _, url = slack_env.slash("yesterday")  # not synced: needs the API
    waiting = slack_env.wait_answer(url)
    assert waiting[0]["text"].startswith("Fetching from Tencent Meeting")

    started = time.monotonic()
    slack_env.services.stop()  # SIGTERM: wakes every wait, then drains the answers

    assert time.monotonic() - started < 5
    final = slack_env.responses_to(url)[-1]  # already there: stop() waited for it
    assert final["text"] == RESTARTING
    assert final["replace_original"] is True


# -- a full pool ---------------------------------------------------------------------------------
@pytest.fixture
def small_env(tmp_path) -> Iterator[SlackEnv]:
    """The Slack environment with one worker and one place in the queue."""
    env = start_slack_env(tmp_path, after_ack=AfterAck(workers=1, queue=1))
    try:
        yield env
    finally:
        stop_slack_env(env)


class HeldQueries:
    """Queries that wait until the test releases them (each one holds its worker)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        real = slash.answer_query

        def held(*args, **kwargs):
            self.started.set()
            assert self.release.wait(WAIT)
            return real(*args, **kwargs)

        monkeypatch.setattr(slash, "answer_query", held)


def test_a_command_beyond_the_queue_is_told_the_bot_is_busy(small_env, monkeypatch) -> None:
    held = HeldQueries(monkeypatch)
    small_env.services.store.recordings.mark_synced(0, int(time.time()))
    _, running = small_env.slash("today")
    assert held.started.wait(WAIT)
    _, queued = small_env.slash("week")  # the one place in the queue

    response, refused = small_env.slash("today")

    assert response.status_code == 200  # acknowledged like any other
    [busy] = small_env.wait_answer(refused)  # while the other two are still held
    assert busy["text"] == BUSY and busy["response_type"] == "ephemeral"
    assert small_env.responses_to(running) == small_env.responses_to(queued) == []
    held.release.set()
    for url in (running, queued):  # they are answered as usual
        [answer] = small_env.wait_answer(url)
        assert answer["blocks"][0]["type"] == "header"
    small_env.settle()
    assert small_env.responses_to(refused) == [busy]  # and the refused one only once
