"""A Slack stand-in with channels and people of every kind, and a WebClient pointed at it."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.emulator.slack.server import SlackStandIn
from tests.emulator.slack.web_client import TOKEN


@pytest.fixture
def slack():
    with SlackStandIn(bot_token=TOKEN) as standin:
        standin.add_channel("C100", "recordings")
        standin.add_channel("C200", "secret", is_private=True)
        standin.add_channel("C300", "old", is_archived=True)
        standin.add_channel("C400", "outside", bot_member=False)
        standin.add_channel("C500", "private-outside", is_private=True, bot_member=False)
        standin.add_user(
            "U100", name="wang", tz="America/New_York", is_admin=True, email="wang@example.com"
        )
        standin.add_user("U200", name="guest", is_restricted=True, is_ultra_restricted=True)
        yield standin


@pytest.fixture
def client(slack):
    return WebClient(token=TOKEN, base_url=slack.api_url, timeout=5)
