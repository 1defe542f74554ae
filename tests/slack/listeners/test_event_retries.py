"""listeners/event_retries.py: an event is processed once, unless its processing failed."""

from __future__ import annotations

from slack_bolt import BoltRequest

from bot.emulator.slack.signed_requests import event_body, signed_headers
from bot.slack.app import build_app
from tests.slack_env import SIGNING_SECRET


def _dispatch(app, raw: str, retry: int = 0):
    headers = signed_headers(SIGNING_SECRET, raw)
    headers["Content-Type"] = "application/json"
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
    return app.dispatch(BoltRequest(body=raw, headers={k: [v] for k, v in headers.items()}))


def test_an_event_whose_listener_failed_is_processed_when_slack_retries(slack_env) -> None:
    services = slack_env.services
    app = build_app(slack_env.settings, services.store, services.tencent, executors=[])
    runs: list[str] = []

    @app.event("reaction_added")
    def flaky(event, ack) -> None:  # fails the first time, as a crash mid-listener would
        ack()
        runs.append(event["reaction"])
        if len(runs) == 1:
            raise RuntimeError("the first try fails")

    body = event_body(
        {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1.0"},
        event_id="Ev0FLAKY0001",
    )
    assert _dispatch(app, body).status == 500  # Slack will retry
    assert _dispatch(app, body, retry=1).status == 200
    assert runs == ["tada", "tada"]  # the retry was processed, not dropped as seen
    assert _dispatch(app, body, retry=2).status == 200
    assert runs == ["tada", "tada"]  # once it succeeded, a further copy is not redone
