"""The Slack Web API clients the bot calls Slack with, and when they retry a call.

Retries are slack_sdk's retry handlers, kept to where a retry cannot post a message twice:

- A connection error (reset, or closed without an answer) says nothing of whether Slack acted
  on the request. Reads (conversations.history, users.info, conversations.info) and idempotent
  calls (chat.update with the same content, conversations.join, views.publish) may be tried
  again, and are, once. A call that posts (chat.postMessage, chat.postEphemeral, ...) is not:
  its first try may have posted, and a second would post twice. Delivery needs no retry there:
  the ledger keeps the delivery claimed, and its next try searches the channel's history for the
  message's metadata before posting again (bot/delivery/).
- A 429 means Slack did nothing, so any call may be tried again after Retry-After. It is, once,
  when Retry-After is short (at most `max_rate_limit_wait`), waiting through the given `sleep`
  (the bot's interruptible sleep, so a stop is not held up); a longer limit reaches the caller.
  The delivery client leaves chat.postMessage's 429s to the Deliverer, which waits a short one
  out itself or defers the channel in the ledger until Retry-After.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.web.slack_response import SlackResponse

from bot import metrics
from bot.config import Settings

# Methods whose first try may have posted a message when the connection failed.
POSTING_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.meMessage", "chat.scheduleMessage"}
)
MAX_RATE_LIMIT_WAIT = 5.0  # seconds: a longer Retry-After is the caller's to handle

# slack_sdk logs whole request and response bodies at DEBUG (chat.postMessage with a
# `password:show` message, a click's answer through its response_url, Socket Mode payloads):
# they carry passwords and download addresses, so every slack_sdk logger stays at INFO whatever
# the verbosity. The body loggers are set by name too: they test their own level, not the
# effective one, before formatting a body.
SLACK_SDK_BODY_LOGGERS = (
    "slack_sdk",
    "slack_sdk.web.base_client",
    "slack_sdk.webhook.client",
    "slack_sdk.socket_mode",
    "bot.slack.bolt",  # Bolt's own logger: at DEBUG it logs what Slack sent, whole
)


def quiet_slack_sdk_bodies() -> None:
    """Keep slack_sdk's body loggers at INFO (every command sets this up; so does every client
    made here, for code that runs the bot without the command line)."""
    for name in SLACK_SDK_BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def make_web_client(
    settings: Settings,
    *,
    for_delivery: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT,
) -> WebClient:
    """A WebClient for SLACK_BOT_TOKEN, pointed at SLACK_API_URL when set (a local stand-in).

    It retries as this module says; the delivery client (`for_delivery`) leaves the 429s of
    chat.postMessage to the Deliverer.
    """
    quiet_slack_sdk_bodies()
    kwargs: dict[str, object] = {
        "token": settings.slack_bot_token.get_secret_value() or None,
        "timeout": 15,
    }
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    kwargs["retry_handlers"] = retry_handlers(
        sleep=sleep,
        max_wait=max_rate_limit_wait,
        rate_limits_left_to_caller=frozenset({"chat.postMessage"}) if for_delivery else frozenset(),
    )
    return CountingWebClient(**kwargs)  # type: ignore[arg-type]


class CountingWebClient(WebClient):
    """A WebClient whose failed calls are counted by method and Slack's error code
    (recordings_slack_errors on /metrics); connection failures count as `connection_error`."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            metrics.SLACK_ERRORS.labels(api_method, metrics.slack_error_code(error)).inc()
            raise
        except Exception:
            metrics.SLACK_ERRORS.labels(api_method, "connection_error").inc()
            raise


def retry_handlers(
    *,
    sleep: Callable[[float], None],
    max_wait: float,
    rate_limits_left_to_caller: frozenset[str] = frozenset(),
) -> list[RetryHandler]:
    """One retry at most per call (the handlers share the call's retry count)."""
    return [
        ConnectionRetryUnlessPosting(sleep=sleep),
        ShortRateLimitRetry(sleep=sleep, max_wait=max_wait, skip=rate_limits_left_to_caller),
    ]


class ConnectionRetryUnlessPosting(ConnectionErrorRetryHandler):
    """slack_sdk's connection-error retry (once, after its backoff), except for posting methods,
    waiting through `sleep`."""

    def __init__(self, *, sleep: Callable[[float], None]):
        super().__init__(max_retry_count=1)
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if api_method(request) in POSTING_METHODS:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's 429 retry, limited to a short Retry-After and waiting through `sleep`."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None],
        max_wait: float,
        skip: frozenset[str] = frozenset(),
    ):
        super().__init__(max_retry_count=1)
        self.sleep = sleep
        self.max_wait = max_wait
        self.skip = skip

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429 or api_method(request) in self.skip:
            return False
        wait = retry_after(response)
        return wait is not None and wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = retry_after(response) if response is not None else None
        self.sleep(wait if wait is not None else 1.0)
        state.increment_current_attempt()


def api_method(request: HttpRequest) -> str:
    """The Web API method a request calls ("https://slack.com/api/chat.update" -> chat.update)."""
    return request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(response: HttpResponse) -> float | None:
    """Seconds from a 429's Retry-After header (at least 1); None when absent or unreadable."""
    for key, value in (response.headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(1.0, float(value[0] if isinstance(value, list) else value))
            except (IndexError, TypeError, ValueError):
                return None
    return None
