"""bot.slack.listeners.actions: button clicks are acknowledged at once and answered after the ack,
over the real stack (signed block_actions into the Bolt app, answers at the response_url)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.slack.answers import slash
from bot.slack.blocks import ACTION_DOWNLOAD, ACTION_SHOW_PASSWORD, ACTION_WATCH
from bot.slack.listeners.after_ack import AfterAck
from bot.slack.texts import BUSY
from tests.slack_env import SlackEnv, start_slack_env, stop_slack_env

MEMBER, CHANNEL = "UMEMBER01", "CGENERAL1"  # as in tests/slack_env.py
WAIT = 10.0


def click(env: SlackEnv, action_id: str, value: str) -> str:
    """Click a button in a channel message; returns the click's response_url."""
    return env.click(action_id, value)


def test_watch_link_click_is_only_acknowledged(slack_env) -> None:
    watched = click(slack_env, ACTION_WATCH, "")
    asked = click(slack_env, ACTION_SHOW_PASSWORD, "9999999999:no-such-file")
    slack_env.wait_answer(asked)  # a click after it was answered through the same path...
    slack_env.settle()  # ...and nothing started after any ack is still running
    assert slack_env.responses_to(watched) == []


@pytest.fixture
def small_env(tmp_path) -> Iterator[SlackEnv]:
    """The Slack environment with one worker and no place in the queue."""
    env = start_slack_env(tmp_path, after_ack=AfterAck(workers=1, queue=0))
    try:
        yield env
    finally:
        stop_slack_env(env)


def test_a_click_while_the_bot_is_full_is_told_it_is_busy(small_env, monkeypatch) -> None:
    release, started = threading.Event(), threading.Event()
    real = slash.answer_query

    def held(*args, **kwargs):
        started.set()
        assert release.wait(WAIT)
        return real(*args, **kwargs)

    monkeypatch.setattr(slash, "answer_query", held)
    small_env.services.store.recordings.mark_synced(0, int(time.time()))
    _, running = small_env.slash("today")  # holds the only worker
    assert started.wait(WAIT)

    refused = click(small_env, ACTION_DOWNLOAD, "9999999999:no-such-file")

    [busy] = small_env.wait_answer(refused)
    assert busy["text"] == BUSY
    assert busy["response_type"] == "ephemeral" and busy["replace_original"] is False
    assert small_env.tencent.call_count("/v1/addresses/") == 0
    release.set()
    small_env.wait_answer(running)
    small_env.settle()
    assert small_env.responses_to(refused) == [busy]
