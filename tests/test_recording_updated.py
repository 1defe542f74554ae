"""Recordings renamed or re-shared in Tencent Meeting, seen by polling: each posted message is
edited once to show the change (sharing off: the Watch button goes), and an unchanged listing
edits nothing."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import REC_CHANNEL, BotEnv


def posted(bot_env: BotEnv, **meeting) -> str:
    mid = bot_env.dataset.add_meeting(
        start=time.time() - 3 * 3600, duration=600, transcode_seconds=60, **meeting
    )
    assert bot_env.cycle().ok
    assert len(bot_env.posts(REC_CHANNEL)) == 1
    return mid


def the_message(bot_env: BotEnv) -> dict:
    (message,) = bot_env.posts(REC_CHANNEL)
    return message


def buttons(message: dict) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_a_rename_is_edited_into_the_message_once(bot_env: BotEnv) -> None:
    mid = posted(bot_env, subject="周会 草稿")
    for _ in range(2):  # nothing changed: nothing edited
        assert bot_env.cycle().ok
    assert the_message(bot_env)["updated"] == 0

    bot_env.dataset.update(mid, subject="产品周会 第7期")
    for _ in range(3):
        assert bot_env.cycle().ok

    message = the_message(bot_env)
    assert "产品周会 第7期" in json.dumps(message["blocks"], ensure_ascii=False)
    assert message["updated"] == 1
    assert bot_env.services.store.recordings.get(mid).subject == "产品周会 第7期"


def test_sharing_switched_off_takes_the_watch_button_away(bot_env: BotEnv) -> None:
    mid = posted(bot_env, subject="Design review")
    assert "Watch" in buttons(the_message(bot_env))

    bot_env.dataset.update(mid, sharing=False)
    for _ in range(3):  # edited once, not at every cycle
        assert bot_env.cycle().ok

    message = the_message(bot_env)
    assert "Watch" not in buttons(message)
    assert message["updated"] == 1
    bot_env.dataset.update(mid, sharing=True)  # and back on: the button returns
    assert bot_env.cycle().ok
    assert "Watch" in buttons(the_message(bot_env))
    assert the_message(bot_env)["updated"] == 2


def test_a_crash_between_the_edit_and_its_write_does_not_edit_twice(
    bot_env: BotEnv, monkeypatch
) -> None:
    mid = posted(bot_env, subject="Budget")
    bot_env.dataset.update(mid, subject="Budget 2027")
    deliveries = bot_env.services.store.deliveries

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("the process died right after chat.update")

    monkeypatch.setattr(deliveries, "update_signature", crash)
    with pytest.raises(KeyboardInterrupt):
        bot_env.cycle()
    monkeypatch.undo()
    assert the_message(bot_env)["updated"] == 1  # Slack has the edit; the ledger does not

    restarted = bot_env.restart()
    bot_env.services.poller.release()
    for _ in range(2):
        assert bot_env.cycle(restarted).ok

    message = the_message(bot_env)
    assert message["updated"] == 1  # read back, found done: not edited again
    assert "Budget 2027" in json.dumps(message["blocks"], ensure_ascii=False)
    assert restarted.store.deliveries.needing_update() == []
