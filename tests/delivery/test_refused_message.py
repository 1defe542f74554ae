"""A message Slack refuses stays undelivered without holding back its channel (a regression
found in review), over loopback against the emulator and the Slack stand-in."""

from __future__ import annotations

import time

from tests.conftest import REC_CHANNEL, BotEnv


def test_a_message_slack_refuses_does_not_hold_back_its_channel(
    bot_env: BotEnv, monkeypatch
) -> None:
    """One recording whose message Slack rejects (invalid_blocks) stays undelivered, and the
    channel's later recordings are still posted, cycle after cycle."""
    import bot.delivery.messages

    real = bot.delivery.messages.recording_message

    def rendering(meeting, **kwargs):
        text, blocks = real(meeting, **kwargs)
        if meeting.subject == "Poison":
            blocks = [{"type": "divider"}] * 51  # the stand-in refuses this: invalid_blocks
        return text, blocks

    monkeypatch.setattr(bot.delivery.messages, "recording_message", rendering)
    now = time.time()
    bot_env.dataset.add_meeting(
        start=now - 4000, duration=600, transcode_seconds=60, subject="Poison"
    )
    bot_env.cycle()
    assert bot_env.posts(REC_CHANNEL) == []
    later = bot_env.dataset.add_meeting(
        start=now - 3000, duration=600, transcode_seconds=60, subject="Later"
    )
    bot_env.cycle()
    posts = bot_env.posts(REC_CHANNEL)
    assert [p["metadata"]["event_payload"]["meeting_record_id"] for p in posts] == [later]
    assert bot_env.services.store.deliveries.counts()["failed"] == 1
