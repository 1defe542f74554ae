"""Finding our own earlier message (a recording's, an access request's) in a channel's history.

Every recording message carries metadata naming its recording, so after an attempt that may
have posted (a crash, a timeout) the history since the delivery was planned tells whether it did.
"""

from __future__ import annotations

from itertools import islice

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.slack_errors import error_code
from bot.slack.blocks import METADATA_EVENT_TYPE

MAX_PAGES = 20  # at most 20 pages of 200 messages
PAGE_SIZE = 200
CLOCK_SLACK = 300.0  # search from 5 minutes before the delivery was planned


def find_posted(
    client: WebClient, channel: str, meeting_record_id: str, *, since: float
) -> tuple[str, str | None] | None:
    """Our own earlier message for this recording in the channel: (ts, files_signature)."""
    found = find_own_message(
        client, channel, METADATA_EVENT_TYPE, "meeting_record_id", meeting_record_id, since=since
    )
    if found is None:
        return None
    ts, payload = found
    return ts, payload.get("files_signature")


def find_own_message(
    client: WebClient, channel: str, event_type: str, key: str, value: str, *, since: float
) -> tuple[str, dict] | None:
    """Our own message since `since` whose metadata is `event_type` with `key` == `value`:
    (ts, its metadata's payload)."""
    try:
        # Iterating a SlackResponse follows `next_cursor`, one page per step.
        pages = client.conversations_history(
            channel=channel,
            oldest=f"{max(0.0, since - CLOCK_SLACK):.6f}",
            include_all_metadata=True,
            limit=PAGE_SIZE,
        )
        for page in islice(pages, MAX_PAGES):
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == event_type and payload.get(key) == value:
                    return str(message["ts"]), payload
    except SlackApiError as exc:
        if error_code(exc) in ("not_in_channel", "channel_not_found"):
            return None  # the bot cannot have posted there
        raise
    return None


def shown_in_slack(client: WebClient, channel: str, ts: str) -> str | None:
    """The `shown` digest in the metadata of our message `ts` as Slack has it now (None: the
    message, or its digest, is not there)."""
    try:
        answer = client.conversations_history(
            channel=channel,
            oldest=ts,
            latest=ts,
            inclusive=True,
            limit=1,
            include_all_metadata=True,
        )
    except SlackApiError as exc:
        if error_code(exc) in ("not_in_channel", "channel_not_found"):
            return None
        raise
    for message in answer.get("messages") or []:
        if str(message.get("ts")) == ts:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            shown = payload.get("shown")
            return str(shown) if shown else None
    return None
