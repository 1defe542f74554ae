"""Signed requests, as Slack sends them: the signature verifies, and the bodies carry the fields
Bolt reads."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from bot.emulator.slack.signed_requests import action_body, event_body, signed_headers, slash_body

SECRET = "signed-requests-test-secret"
AT = 1_700_000_000


class FixedClock(Clock):
    def now(self) -> float:
        return float(AT)


def test_the_signature_verifies_with_slacks_own_verifier() -> None:
    body = slash_body("today", user_id="U1", response_url="http://127.0.0.1:9/response/1")
    headers = signed_headers(SECRET, body, timestamp=AT)
    stamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    verifier = SignatureVerifier(SECRET, clock=FixedClock())
    assert verifier.is_valid(body, stamp, signature)
    assert not verifier.is_valid(body + "&text=more", stamp, signature)
    assert not SignatureVerifier("another-secret", clock=FixedClock()).is_valid(
        body, stamp, signature
    )


def test_the_bodies_carry_what_bolt_reads() -> None:
    form = slash_body("search 周会", user_id="U1", response_url="http://r/1", team_id="T1")
    slash = {k: v[0] for k, v in parse_qs(form).items()}
    assert slash["command"] == "/recordings" and slash["text"] == "search 周会"
    assert (slash["user_id"], slash["team_id"], slash["response_url"]) == ("U1", "T1", "http://r/1")
    click = {"type": "block_actions", "actions": [{"action_id": "more"}]}
    assert json.loads(parse_qs(action_body(click))["payload"][0]) == click
    event = json.loads(event_body({"type": "app_home_opened", "user": "U1"}, team_id="T1"))
    assert (event["type"], event["team_id"]) == ("event_callback", "T1")
    assert event["event"] == {"type": "app_home_opened", "user": "U1"}
