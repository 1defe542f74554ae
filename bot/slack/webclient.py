"""The Slack Web API client the bot posts with."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.config import Settings


def make_web_client(settings: Settings, *, for_delivery: bool = False) -> WebClient:
    """A WebClient for SLACK_BOT_TOKEN, pointed at SLACK_API_URL when set (a local stand-in).

    The delivery client has no automatic retries: a retried chat.postMessage whose first try did
    land would post twice. Delivery retries on its own, after checking what was posted.
    """
    kwargs: dict[str, object] = {
        "token": settings.slack_bot_token.get_secret_value() or None,
        "timeout": 15,
    }
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    if for_delivery:
        kwargs["retry_handlers"] = []
    return WebClient(**kwargs)  # type: ignore[arg-type]
