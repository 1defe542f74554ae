"""What a Slack error means for a delivery, and how it is described.

A rate limit defers the channel until Retry-After; a channel that is gone or archived breaks
its routes; an error about one message's content holds back that message only; anything else
defers the channel to the next cycle.
"""

from __future__ import annotations

from enum import Enum

from slack_sdk.errors import SlackApiError

# Errors about one message's content, not the channel: they must not hold back the channel's
# later deliveries (the ledger is read oldest first, so deferring would block it for good).
MESSAGE_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
    }
)
# Errors saying the channel cannot be posted to until someone fixes it, and why (for admins).
BROKEN_CHANNEL_REASONS = {
    "channel_not_found": "the channel does not exist (or is private without the bot)",
    "is_archived": "the channel is archived",
    "method_not_supported_for_channel_type": "the bot cannot join this private "
    "channel: invite it with /invite",
}
# Errors saying a message to edit no longer exists or can no longer be edited.
MESSAGE_GONE_ERRORS = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "is_archived",
    }
)
DEFAULT_RETRY_AFTER = 30.0  # a rate limit without a usable Retry-After header


class SlackFailure(Enum):
    """The kinds of failure a delivery tells apart."""

    RATE_LIMITED = "rate limited"  # wait Retry-After before posting to the channel again
    CHANNEL_BROKEN = "channel broken"  # gone or archived: the routes are broken
    MESSAGE_REFUSED = "message refused"  # this message only: the channel's next ones still go
    OTHER = "other"  # anything else: the channel waits for the next cycle


def classify(exc: SlackApiError) -> SlackFailure:
    if is_rate_limited(exc):
        return SlackFailure.RATE_LIMITED
    code = error_code(exc)
    if code in BROKEN_CHANNEL_REASONS:
        return SlackFailure.CHANNEL_BROKEN
    if code in MESSAGE_ERRORS:
        return SlackFailure.MESSAGE_REFUSED
    return SlackFailure.OTHER


def error_code(exc: SlackApiError) -> str | None:
    """Slack's error code (e.g. "not_in_channel"), when it answered."""
    return exc.response.get("error") if exc.response is not None else None


def is_rate_limited(exc: SlackApiError) -> bool:
    return exc.response is not None and (
        exc.response.status_code == 429 or error_code(exc) == "ratelimited"
    )


def retry_after(exc: SlackApiError) -> float:
    """Seconds to wait from a rate limit's Retry-After header (at least 1)."""
    headers = exc.response.headers if exc.response is not None else {}
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(1.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


def broken_channel_reason(exc: SlackApiError) -> str:
    """Why the channel is broken, for the admins (the error is CHANNEL_BROKEN)."""
    return BROKEN_CHANNEL_REASONS[str(error_code(exc))]


def message_gone(exc: Exception) -> bool:
    """The message to edit no longer exists or can no longer be edited."""
    return isinstance(exc, SlackApiError) and error_code(exc) in MESSAGE_GONE_ERRORS


def describe(exc: Exception) -> str:
    """A short, secret-free description of a Slack or network error."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return f"Slack error: {exc.response.get('error')} (HTTP {exc.response.status_code})"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
