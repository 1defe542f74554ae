"""Events API: `app_home_opened` publishes the viewer's Home tab (bot.slack.home)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.home import home_view
from bot.slack.users import UserDirectory
from bot.wiring import Services

log = logging.getLogger(__name__)


def publish_home(services: Services, client: WebClient, user_id: str) -> dict[str, Any]:
    """Build and publish one user's Home tab; returns the view sent."""
    facts = UserDirectory.for_services(services, client).get(user_id)
    shut_out = facts.is_guest or not facts.verified  # a guest, or Slack could not say
    view = home_view(services, user_id, is_admin=facts.is_admin and not shut_out, is_guest=shut_out)
    client.views_publish(user_id=user_id, view=view)
    return view


def register(app: App, services: Services) -> None:
    """Register the Events API listeners."""

    @app.event("app_home_opened")
    def on_app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        user_id = str(event.get("user") or "")
        try:
            publish_home(services, client, user_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning("views.publish failed for %s: %s", user_id, error)
        except Exception:
            log.exception("App Home failed for %s", user_id)
