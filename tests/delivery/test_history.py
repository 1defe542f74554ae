"""Finding our own earlier message in a channel's history, page after page (over loopback)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

import bot.delivery.history as history
from bot.delivery.history import find_posted
from bot.emulator.slack import SlackStandIn
from bot.slack.blocks import METADATA_EVENT_TYPE

TOKEN = "xoxb-history-test"
CHANNEL = "C100"
MID = "1" * 19


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(bot_token=TOKEN) as standin:
        standin.add_channel(CHANNEL, "recordings")
        standin.add_channel("C400", "outside", bot_member=False)
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url, timeout=5)


def post_ours(client: WebClient, mid: str = MID, signature: str = "sig-1") -> str:
    metadata = {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"meeting_record_id": mid, "files_signature": signature},
    }
    return client.chat_postMessage(channel=CHANNEL, text="rec", metadata=metadata)["ts"]


def post_others(client: WebClient, count: int) -> None:
    for i in range(count):
        client.chat_postMessage(channel=CHANNEL, text=f"chatter {i}")


def test_our_message_is_found_with_its_files_signature(client: WebClient) -> None:
    since = time.time()
    post_ours(client, "2" * 19, "other")
    ts = post_ours(client)
    post_others(client, 3)
    assert find_posted(client, CHANNEL, MID, since=since) == (ts, "sig-1")
    assert find_posted(client, CHANNEL, "3" * 19, since=since) is None


def test_later_pages_are_followed_up_to_the_cap(slack, client, monkeypatch) -> None:
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    since = time.time()
    ts = post_ours(client)
    post_others(client, 9)  # newest first: ours is on the fifth page of two
    assert find_posted(client, CHANNEL, MID, since=since) == (ts, "sig-1")
    assert len(slack.calls_to("conversations.history")) == 5

    monkeypatch.setattr(history, "MAX_PAGES", 4)
    assert find_posted(client, CHANNEL, MID, since=since) is None  # not searched further
    assert len(slack.calls_to("conversations.history")) == 5 + 4


def test_a_channel_the_bot_is_not_in_has_nothing_of_ours(client: WebClient) -> None:
    assert find_posted(client, "C400", MID, since=time.time()) is None
    assert find_posted(client, "CNOWHERE", MID, since=time.time()) is None
