"""Builds the Bolt app and registers its listeners (grouped by the kind of Slack input)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.slack import bolt_fixes
from bot.slack.answers.deps import Deps
from bot.slack.listeners import event_retries, register_listeners
from bot.slack.listeners.after_ack import AfterAck
from bot.slack.webclient import make_web_client
from bot.store import Store
from bot.tencent.client import TencentMeetingClient

log = logging.getLogger(__name__)


def build_app(
    settings: Settings,
    store: Store,
    tencent: TencentMeetingClient,
    *,
    executors: list[Executor],
    after_ack: AfterAck | None = None,
    token_verification_enabled: bool = True,
) -> App:
    """The Bolt app answering from `store` and `tencent`. Every request's Slack signature is
    verified (and in HTTP mode checked first by bot/server/slack_edge.py); an event Slack
    retries is processed once (listeners/event_retries.py).

    Listeners ack on the request's thread and answer after the ack on `after_ack` (a default
    AfterAck when None), which is added to `executors`: the caller shuts those down when it
    stops (Services.stop), draining the answers under way. Answers that must call Tencent
    Meeting first move to the AfterAck's own lane for them, so they never hold up the others.
    """
    client: WebClient = make_web_client(settings)  # carries SLACK_BOT_TOKEN
    after_ack = after_ack or AfterAck()
    executors.append(after_ack)
    bolt_fixes.apply()  # a form body mentioning "payload" is not an interactivity payload
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        # The listener itself runs before the HTTP response: each one only acks (no I/O) and
        # hands its answer to a lazy listener on `after_ack`, via the response_url.
        process_before_response=True,
        listener_executor=after_ack,
        token_verification_enabled=token_verification_enabled,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    # Bolt logs the whole body of a request whose signature fails, at INFO. In HTTP mode nothing
    # unsigned gets this far (bot/server/slack_edge.py refuses it on one line), and the body
    # must never reach the log: keep that logger to warnings (set after App() copied its level).
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    event_retries.register(app, store)
    deps = Deps.build(settings, store, tencent, client, api_lane=after_ack.submit_api_bound)
    register_listeners(app, deps)
    return app
