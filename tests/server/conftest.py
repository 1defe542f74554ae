"""Fixtures of the server tests: the two stand-ins a real `recordings-bot run` talks to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from tests.server.run_helpers import BOT_TOKEN, USER


@pytest.fixture
def backends() -> Iterator[tuple[TencentEmulator, SlackStandIn]]:
    with TencentEmulator() as tencent, SlackStandIn(bot_token=BOT_TOKEN) as slack:
        slack.add_user(USER, name="sam", email="sam@example.com")
        yield tencent, slack
