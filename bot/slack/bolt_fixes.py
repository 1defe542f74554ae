"""A fix for one slack_bolt behaviour the bot cannot live with, applied by bot.slack.app.

slack_bolt's `parse_body` (slack_bolt/request/internals.py, 1.x) reads any form body holding
the text "payload" anywhere as an interactivity payload, and a body without a `payload` field
then parses as `{}`: `/recordings search payload` (or a channel or person so named) reached no
listener and Slack showed the person an error. The fixed parser looks for a `payload` *field*.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.request import request as bolt_request

_original = bolt_request.parse_body


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """Bolt's parse_body, with a form body's `payload` taken only from a field of that name."""
    if not body or content_type == "application/json" or body.startswith("{"):
        return _original(body, content_type)
    params = dict(parse_qsl(body, keep_blank_values=True))
    payload = params.get("payload")
    return json.loads(payload) if payload is not None else params


def apply() -> None:
    """Make BoltRequest use the fixed parser (idempotent)."""
    bolt_request.parse_body = parse_body  # type: ignore[assignment]
