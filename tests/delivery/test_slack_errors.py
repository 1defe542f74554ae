"""What a Slack error means for a delivery (pure: built from responses, no server)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.delivery.slack_errors import (
    DEFAULT_RETRY_AFTER,
    SlackFailure,
    broken_channel_reason,
    classify,
    describe,
    error_code,
    is_rate_limited,
    message_gone,
    retry_after,
)


def slack_error(error: str, status: int = 200, headers: dict | None = None) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("The request to the Slack API failed.", response)


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (slack_error("ratelimited", 429, {"Retry-After": "3"}), SlackFailure.RATE_LIMITED),
        (slack_error("ratelimited"), SlackFailure.RATE_LIMITED),  # said in the body only
        (slack_error("channel_not_found", 429), SlackFailure.RATE_LIMITED),  # the 429 first
        (slack_error("channel_not_found"), SlackFailure.CHANNEL_BROKEN),
        (slack_error("is_archived"), SlackFailure.CHANNEL_BROKEN),
        (slack_error("method_not_supported_for_channel_type"), SlackFailure.CHANNEL_BROKEN),
        (slack_error("invalid_blocks"), SlackFailure.MESSAGE_REFUSED),
        (slack_error("msg_too_long"), SlackFailure.MESSAGE_REFUSED),
        (slack_error("metadata_too_large"), SlackFailure.MESSAGE_REFUSED),
        (slack_error("internal_error", 500), SlackFailure.OTHER),
        (slack_error("not_in_channel"), SlackFailure.OTHER),
        (SlackApiError("no answer", None), SlackFailure.OTHER),
    ],
)
def test_classify(exc: SlackApiError, failure: SlackFailure) -> None:
    assert classify(exc) is failure


def test_a_broken_channel_is_explained_to_the_admins() -> None:
    assert broken_channel_reason(slack_error("is_archived")) == "the channel is archived"
    assert "/invite" in broken_channel_reason(slack_error("method_not_supported_for_channel_type"))


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"Retry-After": ["4"]}, 4.0),
        ({"Retry-After": "0"}, 1.0),  # at least a second
        ({"Retry-After": "soon"}, DEFAULT_RETRY_AFTER),
        ({}, DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after(headers: dict, seconds: float) -> None:
    assert retry_after(slack_error("ratelimited", 429, headers)) == seconds


def test_no_answer_is_neither_rate_limited_nor_coded() -> None:
    exc = SlackApiError("no answer", None)
    assert error_code(exc) is None and not is_rate_limited(exc)
    assert retry_after(exc) == DEFAULT_RETRY_AFTER


@pytest.mark.parametrize(
    ("exc", "gone"),
    [
        (slack_error("message_not_found"), True),
        (slack_error("cant_update_message"), True),
        (slack_error("edit_window_closed"), True),
        (slack_error("channel_not_found"), True),
        (slack_error("is_archived"), True),
        (slack_error("internal_error", 500), False),
        (ConnectionResetError("reset"), False),
    ],
)
def test_message_gone(exc: Exception, gone: bool) -> None:
    assert message_gone(exc) is gone


def test_describe_says_what_failed_and_nothing_more() -> None:
    assert describe(slack_error("is_archived")) == "Slack error: is_archived (HTTP 200)"
    assert describe(slack_error("ratelimited", 429)) == "Slack error: ratelimited (HTTP 429)"
    assert describe(TimeoutError("timed out")) == "TimeoutError: timed out"
    long = describe(ConnectionError("x" * 500))
    assert long == "ConnectionError: " + "x" * 200
