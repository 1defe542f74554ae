"""A recording's message: escaped for Slack, and never more open than its route allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin import add_route, remove_route
from bot.delivery.messages import RecordingMessages
from bot.store import Store, open_store
from tests.conftest import BotEnv
from tests.delivery.meetings import completed


def test_a_subject_that_would_ping_everyone_is_escaped(bot_env: BotEnv) -> None:
    completed(bot_env, "<!channel> test <@U123> & co")
    bot_env.cycle()
    [post] = bot_env.posts()
    assert "<!channel>" not in post["text"] and "&lt;!channel&gt;" in post["text"]
    mrkdwn = list(_mrkdwn_texts(post["blocks"]))
    assert mrkdwn and not any("<!channel>" in t or "<@U123>" in t for t in mrkdwn)


def _mrkdwn_texts(node):
    """Every mrkdwn text in a block tree (plain_text is never parsed for mentions by Slack)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node["text"]
        for value in node.values():
            yield from _mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item)


def test_the_message_names_its_recording_in_its_metadata(bot_env: BotEnv) -> None:
    mid = completed(bot_env)
    bot_env.cycle()
    services = bot_env.services
    meeting = services.store.recordings.get(mid)
    messages = RecordingMessages(services.store.routes, services.settings.bot_timezone)
    message = messages.render(meeting, None)
    assert message.metadata["event_payload"]["meeting_record_id"] == mid
    [post] = bot_env.posts()
    assert post["metadata"] == message.metadata and post["text"] == message.text


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(tmp_path / "bot.db")
    yield store
    store.close()


def test_the_policy_is_the_routes_the_default_or_the_strictest(store: Store) -> None:
    messages = RecordingMessages(store.routes, "Asia/Shanghai")
    route = add_route(store, None, "CPOLICY01", ["password:hide", "download:on"])
    assert messages.policy(route.id) == ("hide", True)
    assert messages.policy(None) == ("button", False)  # DEFAULT_CHANNEL: the default policy
    shown = add_route(store, None, "CPOLICY02", ["password:show"])
    assert messages.policy(shown.id) == ("show", False)
    remove_route(store, shown.id)
    assert messages.policy(shown.id) == ("hide", False)  # removed since: the strictest
