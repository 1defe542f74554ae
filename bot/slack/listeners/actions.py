"""Button clicks: Show password, Download, More, Approve / Ignore a request to view a recording
(and the Watch link button).

Every click is acknowledged at once; what it means is answered after the ack
(bot.slack.answers.clicks) by a lazy listener on the app's AfterAck pool, or only "busy" when
that pool is full. The Watch button is a link: Slack opens it, the click is only acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.access_blocks import ACTION_APPROVE_ACCESS, ACTION_IGNORE_ACCESS
from bot.slack.answers import access, clicks
from bot.slack.answers.deps import Deps
from bot.slack.blocks import ACTION_DOWNLOAD, ACTION_MORE, ACTION_SHOW_PASSWORD, ACTION_WATCH
from bot.slack.listeners import after_ack


def acknowledge(ack: Ack) -> None:
    ack()  # first: Slack wants an answer within 3 seconds


def _answer(deps: Deps, name: str, handler: clicks.Handler) -> Callable[..., None]:
    def answer(body: dict[str, Any], respond: Respond | None) -> None:
        if after_ack.refused():
            clicks.answer_click_busy(deps, body, respond)
        else:
            clicks.answer_click(deps, name, handler, body, respond)

    answer.__name__ = f"answer_{name}"  # Bolt tells lazy listeners apart by name
    return answer


def register(app: App, deps: Deps) -> None:
    """Register the button listeners."""
    buttons = {
        ACTION_SHOW_PASSWORD: ("show_password", clicks.show_password),
        ACTION_DOWNLOAD: ("download", clicks.download),
        ACTION_MORE: ("more", clicks.more),
        ACTION_APPROVE_ACCESS: ("approve_access", access.approve),
        ACTION_IGNORE_ACCESS: ("ignore_access", access.ignore),
    }
    for action_id, (name, handler) in buttons.items():
        app.action(action_id)(ack=acknowledge, lazy=[_answer(deps, name, handler)])
    app.action(ACTION_WATCH)(acknowledge)  # a link button: Slack opens the link
