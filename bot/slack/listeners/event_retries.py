"""Slack's retries of an Events API event: acknowledged, never processed twice.

Slack resends an event it got no 2xx for within 3 seconds (`X-Slack-Retry-Num` 1, 2, 3: at
once, after a minute, after five), each copy signed afresh but with the same `event_id`. A Bolt
middleware remembers each event id for EVENT_MEMORY seconds in the database (store.webhooks,
key `slack-event:`), shared by every process and by both HTTP and Socket Mode, and answers a copy
seen before with an empty 200 before any listener runs. The first copy to arrive is the one
processed, retry or not: when the original never reached the bot, its retry is not lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.slack.answers.failures import redacted_trace
from bot.store import Store

log = logging.getLogger(__name__)

EVENT_MEMORY = 3600.0  # seconds; Slack's last retry comes about 5 minutes after the event


def event_key(body: dict[str, Any]) -> str | None:
    """The memory key of an Events API callback, or None for anything else."""
    if not isinstance(body, dict) or body.get("type") != "event_callback":
        return None
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return None
    return f"slack-event:{body.get('team_id') or ''}:{event_id}"


def register(app: App, store: Store) -> None:
    """Install the middleware that drops events already processed."""

    def drop_repeated_events(
        body: dict[str, Any], request: Any, next: Callable[[], None]
    ) -> BoltResponse | None:
        key = event_key(body)
        if key is not None and store.webhooks.seen_nonce(key, EVENT_MEMORY):
            retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
            log.info(
                "slack event %s seen before (retry %s): acknowledged, not redone",
                body.get("event_id"),
                retry,
            )
            return BoltResponse(status=200, body="")
        next()
        return None

    def forget_failed_events(error: Exception, body: dict[str, Any]) -> None:
        """A listener failed (Slack gets a 500 and retries): the retry must be processed."""
        key = event_key(body)
        if key is not None:
            store.webhooks.forget_nonce(key)
        log.error("a Slack listener failed:\n%s", redacted_trace(error))

    app.middleware(drop_repeated_events)
    app.error(forget_failed_events)
