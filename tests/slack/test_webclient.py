"""When the bot's Slack clients retry a call: never where a retry could post twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import load_settings
from bot.emulator.slack import SlackStandIn
from bot.slack.webclient import make_web_client

TOKEN = "xoxb-webclient-test"
CHANNEL = "C100"
USER = "U100"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(bot_token=TOKEN) as standin:
        standin.add_channel(CHANNEL, "recordings")
        standin.add_user(USER, name="wang")
        yield standin


def client_for(slack: SlackStandIn, waits: list[float], **options) -> WebClient:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.api_url}, dotenv=False
    )
    return make_web_client(settings, sleep=waits.append, **options)


@pytest.mark.parametrize("for_delivery", [False, True])
def test_a_read_is_tried_again_after_a_dropped_connection(slack, for_delivery) -> None:
    waits: list[float] = []
    client = client_for(slack, waits, for_delivery=for_delivery)
    slack.fail("users.info", drop=True)
    assert client.users_info(user=USER)["user"]["id"] == USER
    assert len(slack.calls_to("users.info")) == 2
    assert len(waits) == 1  # slack_sdk's backoff, through the given sleep


@pytest.mark.parametrize("for_delivery", [False, True])
def test_a_post_is_never_tried_again_after_a_dropped_connection(slack, for_delivery) -> None:
    waits: list[float] = []
    client = client_for(slack, waits, for_delivery=for_delivery)
    slack.fail("chat.postMessage", drop=True)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel=CHANNEL, text="once")
    slack.fail("chat.postEphemeral", drop=True)
    with pytest.raises(ConnectionError):
        client.chat_postEphemeral(channel=CHANNEL, user=USER, text="once")
    assert len(slack.calls_to("chat.postMessage")) == len(slack.calls_to("chat.postEphemeral")) == 1
    assert waits == []


def test_an_edit_is_tried_again_after_a_dropped_connection(slack) -> None:
    waits: list[float] = []
    client = client_for(slack, waits, for_delivery=True)
    ts = client.chat_postMessage(channel=CHANNEL, text="first")["ts"]
    slack.fail("chat.update", drop=True)
    assert client.chat_update(channel=CHANNEL, ts=ts, text="second")["ok"]
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["second"]


def test_a_short_rate_limit_is_waited_out_through_the_given_sleep(slack) -> None:
    waits: list[float] = []
    client = client_for(slack, waits, for_delivery=True)
    slack.fail("conversations.history", status=429, retry_after=2)
    assert client.conversations_history(channel=CHANNEL)["ok"]
    assert waits == [2.0]
    assert len(slack.calls_to("conversations.history")) == 2


def test_a_long_rate_limit_reaches_the_caller_at_once(slack) -> None:
    waits: list[float] = []
    client = client_for(slack, waits, max_rate_limit_wait=5.0)
    slack.fail("users.info", status=429, retry_after=120)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user=USER)
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "120"
    assert waits == [] and len(slack.calls_to("users.info")) == 1


def test_only_one_retry_per_call(slack) -> None:
    waits: list[float] = []
    client = client_for(slack, waits)
    slack.fail("users.info", status=429, retry_after=1, count=2)
    with pytest.raises(SlackApiError):
        client.users_info(user=USER)
    assert waits == [1.0] and len(slack.calls_to("users.info")) == 2


def test_the_delivery_client_leaves_a_posts_rate_limit_to_the_deliverer(slack) -> None:
    """The Deliverer decides: wait a short one out (paced), or defer the channel in the ledger."""
    waits: list[float] = []
    delivery = client_for(slack, waits, for_delivery=True)
    slack.fail("chat.postMessage", status=429, retry_after=2)
    with pytest.raises(SlackApiError) as info:
        delivery.chat_postMessage(channel=CHANNEL, text="x")
    assert info.value.response.status_code == 429 and waits == []
    assert slack.messages(CHANNEL) == []

    other = client_for(slack, waits)  # a 429 posted nothing: another client may try again
    slack.fail("chat.postMessage", status=429, retry_after=2)
    assert other.chat_postMessage(channel=CHANNEL, text="y")["ok"]
    assert waits == [2.0] and [m["text"] for m in slack.messages(CHANNEL)] == ["y"]
