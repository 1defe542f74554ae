"""Events API: `app_home_opened` publishes the viewer's Home tab (bot.slack.answers.home_tab);
`link_shared` unfurls the Tencent Meeting share links the store knows (bot.slack.unfurl).

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

from bot.delivery.slack_errors import error_code
from bot.i18n import use_language
from bot.slack.answers.deps import Deps
from bot.slack.answers.home_tab import publish_home
from bot.slack.listeners import after_ack
from bot.slack.parse import unescape
from bot.slack.unfurl import MAX_UNFURLS, unfurl_card

log = logging.getLogger(__name__)


def unfurls_for(deps: Deps, links: list[Any]) -> dict[str, dict[str, Any]]:
    """`chat.unfurl`'s `unfurls`: a card for each link the store knows, keyed by the URL as
    Slack sent it. Links it does not know are left alone (Slack shows them as it would)."""
    out: dict[str, dict[str, Any]] = {}
    with use_language(deps.settings.bot_language):  # everyone in the conversation sees it
        return _unfurls(deps, links, out)


def _unfurls(
    deps: Deps, links: list[Any], out: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    for link in links[:MAX_UNFURLS]:
        sent = str(link.get("url") or "") if isinstance(link, dict) else ""
        url = unescape(sent)
        if not url.lower().startswith(("https://", "http://")) or sent in out:
            continue
        meeting = deps.store.recordings.by_sharing_url(url)
        if meeting is not None:
            out[sent] = unfurl_card(meeting, url, tz_name=deps.settings.bot_timezone)
    return out


def unfurl_links(deps: Deps, client: WebClient, event: dict[str, Any]) -> dict[str, Any]:
    """Answer one `link_shared` event; returns the unfurls sent (none: no call)."""
    links = event.get("links")
    unfurls = unfurls_for(deps, links if isinstance(links, list) else [])
    if not unfurls:
        return unfurls
    if event.get("unfurl_id") and event.get("source"):  # a link in the composer, not yet sent
        client.chat_unfurl(
            unfurl_id=str(event["unfurl_id"]), source=str(event["source"]), unfurls=unfurls
        )
    else:
        client.chat_unfurl(
            channel=str(event.get("channel") or ""),
            ts=str(event.get("message_ts") or ""),
            unfurls=unfurls,
        )
    return unfurls


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
            log.warning("views.publish failed for %s: %s", user_id, error_code(exc))
        except Exception:
            log.exception("App Home failed for %s", user_id)

    app.event("app_home_opened")(ack=acknowledge, lazy=[open_home])

    def unfurl(event: dict[str, Any], client: WebClient) -> None:
        if after_ack.refused():
            log.warning("too busy to unfurl links in %s", event.get("channel"))
            return
        try:
            unfurl_links(deps, client, event)
        except SlackApiError as exc:
            log.warning("chat.unfurl failed in %s: %s", event.get("channel"), error_code(exc))
        except Exception:
            log.exception("unfurling links in %s failed", event.get("channel"))

    app.event("link_shared")(ack=acknowledge, lazy=[unfurl])
