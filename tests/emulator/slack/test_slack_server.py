"""The Slack stand-in as a server, driven by the real slack_sdk clients over loopback: URLs and
lifecycle, tokens, response URLs, waiting, faults, outages and reset."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.emulator.slack.server import SlackStandIn
from bot.emulator.slack.workspace import BOT_USER_ID
from tests.emulator.slack.web_client import TOKEN, api_error


def test_urls_and_lifecycle():
    standin = SlackStandIn().start()
    try:
        assert standin.url.startswith("http://127.0.0.1:")
        assert standin.api_url == standin.url + "/api/"
        assert WebClient(base_url=standin.api_url).auth_test()["ok"] is True
    finally:
        standin.stop()


def test_auth_test_and_token_checks(slack, client):
    answer = client.auth_test()
    assert answer["user_id"] == BOT_USER_ID and answer["team_id"]
    bad = WebClient(token="xoxb-wrong", base_url=slack.api_url)
    assert api_error(bad.auth_test).response["error"] == "invalid_auth"
    missing = WebClient(base_url=slack.api_url)
    assert api_error(missing.chat_postMessage, channel="C100", text="x").response["error"] == (
        "invalid_auth"
    )
    assert slack.messages() == []


def test_unknown_method(client):
    error = api_error(client.api_call, "nothing.here")
    assert error.response["error"] == "unknown_method"


def test_response_url_capture(slack):
    url = slack.new_response_url()
    other = slack.new_response_url()
    assert url.startswith(slack.url + "/response/") and url != other
    answer = WebhookClient(url).send(text="found 3", response_type="ephemeral")
    assert answer.status_code == 200 and answer.body == "ok"
    assert slack.responses == [
        {"url": url, "payload": {"text": "found 3", "response_type": "ephemeral"}}
    ]
    unknown = WebhookClient(slack.url + "/response/999").send(text="x")
    assert unknown.status_code == 404


def test_wait_for_async_answer(slack):
    url = slack.new_response_url()

    def later():
        time.sleep(0.1)
        WebhookClient(url).send(text="late")

    threading.Thread(target=later, daemon=True).start()
    got = slack.wait_for(lambda: slack.responses, timeout=3)
    assert got[0]["payload"]["text"] == "late"
    with pytest.raises(TimeoutError):
        slack.wait_for(lambda: len(slack.responses) > 1, timeout=0.2)


def test_ratelimit_fault(slack, client):
    slack.fail("chat.postMessage", status=429, retry_after=7, count=2)
    for _ in range(2):
        error = api_error(client.chat_postMessage, channel="C100", text="x")
        assert error.response.status_code == 429
        assert error.response["error"] == "ratelimited"
        assert error.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C100", text="x")["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 3
    assert len(slack.messages()) == 1


def test_ratelimit_with_sdk_retry_handler(slack):
    client = WebClient(token=TOKEN, base_url=slack.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    slack.fail("chat.postMessage", status=429, retry_after=0)
    assert client.chat_postMessage(channel="C100", text="x")["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_server_error_faults(slack, client):
    slack.fail("users.info", status=500, raw=True)
    raw = api_error(client.users_info, user="U100")
    assert raw.response.status_code == 500 and "non-JSON" in raw.response["error"]
    slack.fail("users.info", status=500, error="internal_error")
    js = api_error(client.users_info, user="U100")
    assert js.response.status_code == 500 and js.response["error"] == "internal_error"
    assert "Retry-After" not in js.response.headers
    assert client.users_info(user="U100")["ok"]


def test_api_error_fault_and_wildcard(client, slack):
    slack.fail("*", status=200, error="fatal_error")
    error = api_error(client.auth_test)
    assert error.response.status_code == 200 and error.response["error"] == "fatal_error"
    assert client.auth_test()["ok"]


def test_dropped_connection(slack):
    # like the SDK's default handler (one retry of a reset connection), minus the back-off
    retry = ConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = WebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[retry])
    slack.fail("chat.postMessage", drop=True)
    assert client.chat_postMessage(channel="C100", text="x")["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 2
    slack.fail("chat.postMessage", drop=True, count=2)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="C100", text="y")
    assert [m["text"] for m in slack.messages()] == ["x"]


def test_outage(slack, client):
    slack.outage(True)
    for call in (client.auth_test, lambda: client.chat_postMessage(channel="C100", text="x")):
        assert api_error(call).response.status_code == 503
    url = slack.new_response_url()
    assert WebhookClient(url).send(text="still ok").status_code == 200
    slack.outage(False)
    assert client.chat_postMessage(channel="C100", text="x")["ok"]


def test_reset(slack, client):
    client.chat_postMessage(channel="C100", text="x")
    slack.fail("auth.test", count=5)
    slack.outage(True)
    slack.reset()
    assert slack.calls == [] and slack.messages() == []
    assert client.auth_test()["ok"]
    assert client.chat_postMessage(channel="C100", text="still a channel")["ok"]
