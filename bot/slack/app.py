"""Builds the Bolt app and registers its listeners (grouped by the kind of Slack input)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.listeners import register_listeners
from bot.slack.webclient import make_web_client
from bot.wiring import Services

log = logging.getLogger(__name__)


def build_app(services: Services, *, token_verification_enabled: bool = True) -> App:
    """The Bolt app for these services. Every request's Slack signature is verified."""
    settings = services.settings
    client: WebClient = make_web_client(settings)  # carries SLACK_BOT_TOKEN
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        process_before_response=False,  # ack at once; the answer follows via response_url
        token_verification_enabled=token_verification_enabled,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    register_listeners(app, services)
    return app
