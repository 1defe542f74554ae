"""Messages of recordings whose files changed are edited in place, and given up when gone."""

from __future__ import annotations

import dataclasses

import pytest
from slack_sdk import WebClient

from bot.delivery.edits import MessageEditor
from bot.delivery.messages import RecordingMessages
from bot.delivery.report import DeliveryReport
from bot.stopping import ShuttingDown
from tests.conftest import BotEnv
from tests.delivery.meetings import completed


def _gain_a_file(bot_env: BotEnv, mid: str) -> None:
    """The recording gains a second record file after its message was posted."""
    meeting = bot_env.dataset.get(mid)
    first = meeting.files[0]
    meeting.files.append(
        dataclasses.replace(
            first,
            record_file_id="8" * 19,
            start=meeting.end + 10,
            end=meeting.end + 70,
            size=1_000,
            sharing_id="",
        )
    )


def test_an_edit_of_a_deleted_message_is_given_up_not_retried_forever(bot_env: BotEnv) -> None:
    mid = completed(bot_env, "Deleted later")
    bot_env.cycle()
    [post] = bot_env.posts()
    WebClient(token="xoxb-test-token", base_url=bot_env.slack.api_url).chat_delete(
        channel=post["channel"], ts=post["ts"]
    )
    _gain_a_file(bot_env, mid)
    bot_env.cycle()
    assert bot_env.services.store.deliveries.needing_update() == []
    updates = len(bot_env.slack.calls_to("chat.update"))
    bot_env.cycle()
    assert len(bot_env.slack.calls_to("chat.update")) == updates == 1


def test_a_recording_that_gained_a_file_has_its_message_edited(bot_env: BotEnv) -> None:
    mid = completed(bot_env, "Two files")
    bot_env.cycle()
    [post] = bot_env.posts()
    _gain_a_file(bot_env, mid)
    report = bot_env.cycle()
    assert report.updated == 1
    [edited] = bot_env.posts()
    before, after = (p["metadata"]["event_payload"]["files_signature"] for p in (post, edited))
    assert edited["ts"] == post["ts"] and after != before
    assert bot_env.services.store.deliveries.needing_update() == []


def _editor(bot_env: BotEnv, client) -> MessageEditor:
    services = bot_env.services
    messages = RecordingMessages(services.store.routes, services.settings.bot_timezone)
    return MessageEditor(services.store, client, messages)


def test_a_failed_edit_is_tried_again_on_the_next_run(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    bot_env.cycle()
    bot_env.services.store.deliveries.flag_for_update([mid])
    editor = _editor(bot_env, bot_env.services.slack)
    bot_env.slack.fail("chat.update", status=500, error="internal_error")
    report = DeliveryReport()
    editor.apply_updates(report)
    assert report.updated == 0 and report.error == "Slack error: internal_error (HTTP 500)"
    assert len(bot_env.services.store.deliveries.needing_update()) == 1

    report = DeliveryReport()
    editor.apply_updates(report)
    assert report.updated == 1 and bot_env.services.store.deliveries.needing_update() == []


class StoppingClient:
    """A client woken by a stop in the middle of chat.update (its rate-limit wait)."""

    def chat_update(self, **kwargs) -> None:
        raise ShuttingDown("stopping")


def test_a_stop_during_an_edit_leaves_the_edit_for_later(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    bot_env.cycle()
    bot_env.services.store.deliveries.flag_for_update([mid])
    with pytest.raises(ShuttingDown):
        _editor(bot_env, StoppingClient()).apply_updates(DeliveryReport())
    assert [d.meeting_record_id for d in bot_env.services.store.deliveries.needing_update()] == [
        mid
    ]
