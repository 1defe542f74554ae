"""Events API: `app_home_opened` publishes the viewer's Home tab (bot.slack.answers.home_tab).

Events are acknowledged by Bolt itself; the view is built and published after the ack by a
lazy listener on the app's AfterAck pool (skipped, with a warning, when that pool is full: the
tab is published again the next time it is opened).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.answers.deps import Deps
from bot.slack.answers.home_tab import home_for
from bot.slack.listeners import after_ack

log = logging.getLogger(__name__)


def publish_home(deps: Deps, client: WebClient, user_id: str) -> dict[str, Any]:
    """Build and publish one user's Home tab; returns the view sent."""
    view = home_for(deps, user_id)
    client.views_publish(user_id=user_id, view=view)
    return view


def register(app: App, deps: Deps) -> None:
    """Register the Events API listeners."""

    def acknowledge(ack: Ack) -> None:
        ack()

    def open_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        user_id = str(event.get("user") or "")
        if after_ack.refused():
            log.warning("too busy to publish the Home tab of %s", user_id)
            return
        try:
            publish_home(deps, client, user_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning("views.publish failed for %s: %s", user_id, error)
        except Exception:
            log.exception("App Home failed for %s", user_id)

    app.event("app_home_opened")(ack=acknowledge, lazy=[open_home])
