"""`/recordings`: acknowledged at once, answered after the ack (bot.slack.answers.slash).

The ack carries nothing (the answer goes to the response_url, ephemeral); the lazy listener
runs on the app's AfterAck pool, or only says the bot is busy when that pool is full.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.i18n import use_language
from bot.slack.answers.deps import Deps
from bot.slack.answers.slash import known_language, reply_busy, reply_to_command
from bot.slack.blocks import COMMAND
from bot.slack.listeners import after_ack


def register(app: App, deps: Deps) -> None:
    """Register the `/recordings` listener."""

    def acknowledge(ack: Ack) -> None:
        ack()  # first, before any I/O: Slack wants an answer within 3 seconds

    def answer(body: dict[str, Any], respond: Respond) -> None:
        if after_ack.refused():
            with use_language(known_language(deps, str(body.get("user_id") or ""))):
                reply_busy(respond)
        else:
            reply_to_command(deps, body, respond)

    app.command(COMMAND)(ack=acknowledge, lazy=[answer])
