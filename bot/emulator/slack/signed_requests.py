"""Properly signed Slack requests, as Slack would send them to the bot: slash commands, clicks
and events, for tests, the benchmark, the demo, `recordings-bot slash` and the Socket Mode
stand-in (which sends the same bodies in its envelopes)."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier


def signed_headers(signing_secret: str, body: str, *, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_body(
    text: str,
    *,
    user_id: str,
    response_url: str,
    channel_id: str = "C0DEMO0001",
    command: str = "/recordings",
    team_id: str = "T0DEMO0001",
    user_name: str = "someone",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> str:
    return urlencode(
        {
            "token": "unused-verification-token",
            "team_id": team_id,
            "team_domain": "demo",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0DEMO0001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def action_body(payload: dict) -> str:
    """An interactivity request (block_actions, ...) is a form with one field: payload (JSON)."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict, *, team_id: str = "T0DEMO0001", event_id: str | None = None) -> str:
    """An Events API callback; each gets its own event_id unless one is given (as Slack's
    retries of one event all carry the same)."""
    return json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": team_id,
            "api_app_id": "A0DEMO0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:14].upper()}",
            "event_time": int(time.time()),
        }
    )


def post_signed(
    url: str,
    signing_secret: str,
    body: str,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    timestamp: int | None = None,
    timeout: float = 10.0,
    session: requests.Session | None = None,
    extra_headers: dict[str, str] | None = None,
) -> requests.Response:
    headers = signed_headers(signing_secret, body, timestamp=timestamp)
    headers["Content-Type"] = content_type
    headers.update(extra_headers or {})
    return (session or requests).post(
        url, data=body.encode("utf-8"), headers=headers, timeout=timeout
    )
