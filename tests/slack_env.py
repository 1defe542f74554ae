"""The Slack environment of the tests: the real Bolt app served over HTTP against the Slack
stand-in, the Tencent emulator and a SQLite store, driven with properly signed requests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, Settings, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import action_body, event_body, post_signed, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.server.http import RunningServer, make_wsgi_app, start_http_server
from bot.server.tencent_webhook import WebhookApp, make_webhook_app
from bot.slack.answers.deps import Deps
from bot.slack.app import build_app
from bot.slack.listeners.after_ack import AfterAck
from bot.wiring import Services, build_services

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"
GUEST = "UGUEST001"
CHANNEL = "CGENERAL1"
ADMIN_CHANNEL = "CADMINS01"


@dataclass
class SlackEnv:
    settings: Settings
    services: Services
    deps: Deps  # what the app's answers draw on (the same store, Tencent client and settings)
    after_ack: AfterAck  # the app's pool for the work after the ack
    tencent: TencentEmulator
    slack: SlackStandIn
    server: RunningServer
    session: requests.Session = field(default_factory=requests.Session)
    webhook: WebhookApp | None = None  # /tencent/webhook, when started with a webhook token

    @property
    def webhook_url(self) -> str:
        return f"{self.server.url}/tencent/webhook"

    @property
    def events_url(self) -> str:
        return f"{self.server.url}/slack/events"

    def slash(self, text: str, user: str = MEMBER, **kwargs: Any) -> tuple[requests.Response, str]:
        """Send `/recordings TEXT` as USER; returns the HTTP answer and the response_url used."""
        response_url = self.slack.new_response_url()
        body = slash_body(text, user_id=user, response_url=response_url, **kwargs)
        answer = post_signed(self.events_url, SIGNING_SECRET, body, session=self.session)
        return answer, response_url

    def responses_to(self, response_url: str) -> list[dict]:
        return [r["payload"] for r in self.slack.responses if r["url"] == response_url]

    def wait_answer(
        self,
        response_url: str,
        predicate: Callable[[list[dict]], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[dict]:
        """Wait until what was posted to response_url satisfies predicate (default: anything)."""
        check = predicate or (lambda payloads: bool(payloads))

        def satisfied() -> tuple[list[dict]] | None:
            payloads = self.responses_to(response_url)
            return (payloads,) if check(payloads) else None

        try:  # re-checked whenever the stand-in receives a request
            return self.slack.wait_for(satisfied, timeout=timeout)[0]
        except TimeoutError:
            answers = self.responses_to(response_url)
            raise AssertionError(f"no answer at {response_url}: {answers}") from None

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every answer the app started after an ack has finished."""
        assert self.after_ack.wait_idle(timeout), "the app's answers did not finish"

    def action(self, payload: dict) -> requests.Response:
        return post_signed(
            self.events_url, SIGNING_SECRET, action_body(payload), session=self.session
        )

    def click(self, action_id: str, value: str, user: str = MEMBER, channel: str = CHANNEL) -> str:
        """Click a button of a message in `channel` as USER; returns the click's response_url."""
        response_url = self.slack.new_response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "someone", "team_id": "T0DEMO0001"},
            "api_app_id": "A0DEMO0001",
            "team": {"id": "T0DEMO0001", "domain": "demo"},
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "channel": {"id": channel, "name": "a-channel"},
            "message": {"type": "message", "ts": "1700000000.000100", "text": "a message"},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "file-0",
                    "type": "button",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        answer = self.action(payload)
        assert answer.status_code == 200  # acknowledged at once
        assert answer.text == ""
        return response_url

    def home_click(self, action_id: str, user: str, *, selected: str | None = None) -> None:
        """Click a button (or choose `selected` in an overflow menu) in USER's App Home."""
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button"}
        if selected is not None:
            action = {**action, "type": "overflow", "selected_option": {"value": selected}}
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "someone", "team_id": "T0DEMO0001"},
            "api_app_id": "A0DEMO0001",
            "team": {"id": "T0DEMO0001", "domain": "demo"},
            "container": {"type": "view", "view_id": f"V{user}"},
            "trigger_id": f"trigger-{time.time():.6f}",
            "view": {"id": f"V{user}", "type": "home"},
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }
        answer = self.action(payload)
        assert answer.status_code == 200 and answer.text == ""

    def submit(self, view: dict, values: dict[str, dict], user: str) -> requests.Response:
        """Submit a modal as USER with `values` ({block_id: the element's state})."""
        state = {block: {"value": element} for block, element in values.items()}
        payload = {
            "type": "view_submission",
            "team": {"id": "T0DEMO0001", "domain": "demo"},
            "user": {"id": user, "username": "someone", "team_id": "T0DEMO0001"},
            "api_app_id": "A0DEMO0001",
            "trigger_id": f"trigger-{time.time():.6f}",
            "view": {**view, "state": {"values": state}},
        }
        return self.action(payload)

    def event(self, event: dict) -> requests.Response:
        return post_signed(
            self.events_url,
            SIGNING_SECRET,
            event_body(event),
            content_type="application/json",
            session=self.session,
        )


def make_settings(tencent_url: str, slack_api_url: str, db_path: str, **extra: str) -> Settings:
    env = {
        "TENCENT_MEETING_API_URL": tencent_url,
        "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
        "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
        "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
        "TENCENT_MEETING_RATE_LIMIT": "10",
        "RECORDINGS_DB": db_path,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "ADMIN_USER_IDS": ADMIN,
        "ADMIN_CHANNEL": ADMIN_CHANNEL,
    }
    env.update(extra)
    return load_settings(env)


def start_slack_env(
    tmp_path: Path, after_ack: AfterAck | None = None, **extra_settings: str
) -> SlackEnv:
    """The real Bolt app over HTTP against fresh stand-ins (stop it with `stop_slack_env`);
    with TENCENT_MEETING_WEBHOOK_TOKEN among `extra_settings`, the webhook is served too."""
    now = time.time()
    tencent = TencentEmulator(
        app_id=DEMO_APP_ID,
        secret_id=DEMO_SECRET_ID,
        secret_key=DEMO_SECRET_KEY,
        rate_limit=10,
        dataset=Dataset.generate(now, days=7, seed=3),
    ).start()
    slack = SlackStandIn(bot_token=BOT_TOKEN).start()
    slack.add_channel(CHANNEL, "general")
    slack.add_channel(ADMIN_CHANNEL, "recordings-admins")
    slack.add_user(ADMIN, name="ada", tz="Asia/Shanghai", email="ada@example.com")
    slack.add_user(MEMBER, name="mo", tz="Asia/Shanghai", email="mo@example.com")
    slack.add_user(GUEST, name="gus", tz="Europe/Berlin", is_restricted=True)
    settings = make_settings(tencent.url, slack.api_url, str(tmp_path / "bot.db"), **extra_settings)
    services = build_services(settings)
    after_ack = after_ack or AfterAck()
    app = build_app(
        settings,
        services.store,
        services.tencent,
        executors=services.executors,
        after_ack=after_ack,
    )
    webhook = make_webhook_app(services)
    server = start_http_server(make_wsgi_app(services, app, webhook_app=webhook))
    deps = Deps.build(settings, services.store, services.tencent, services.slack)
    return SlackEnv(settings, services, deps, after_ack, tencent, slack, server, webhook=webhook)


def stop_slack_env(env: SlackEnv) -> None:
    env.session.close()  # an open keep-alive connection keeps waitress' loop running
    env.tencent.disable_webhooks()
    env.server.stop()
    if env.webhook is not None:
        env.webhook.close()
    env.services.close()
    env.slack.stop()
    env.tencent.stop()


@pytest.fixture
def slack_env(tmp_path) -> Iterator[SlackEnv]:
    env = start_slack_env(tmp_path)
    try:
        yield env
    finally:
        stop_slack_env(env)
