"""The admins' forms of `/recordings`: status, route list/add/remove/default, link.

Who may run them is decided before (bot.slack.answers.slash); here they change the store
through bot.admin and say what was done. A bad option changes nothing and says why.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.admin import add_route, link_user, list_routes, remove_route, set_default_route
from bot.health import collect_health
from bot.i18n import _
from bot.routing import RouteOptionError
from bot.slack.answers.deps import Deps
from bot.slack.blocks import BlockDict, notice
from bot.slack.mrkdwn import escape
from bot.slack.parse import (
    Command,
    Link,
    RouteAdd,
    RouteDefault,
    RouteList,
    RouteRemove,
    Status,
    unescape,
)
from bot.slack.status import status_blocks
from bot.slack.texts import route_line
from bot.slack.users import UserFacts

Answer = tuple[str, list[BlockDict]]


def _say(text: str) -> Answer:
    return text, notice(text)


def admin_word(command: Command) -> str:
    """The word an admin command starts with, for "`route` is for admins only"."""
    if isinstance(command, Status):
        return "status"
    if isinstance(command, Link):
        return "link"
    return "route"


def admin_answer(deps: Deps, client: WebClient, facts: UserFacts, command: Command) -> Answer:
    """Run an admin command for an admin and say what was done."""
    store, user = deps.store, facts.user_id
    default = deps.settings.default_channel  # route changes route held recordings again
    try:
        if isinstance(command, Status):
            health = collect_health(store, deps.settings)
            return status_blocks(health, facts.tz)
        if isinstance(command, RouteList):
            routes = list_routes(store)
            if not routes:
                return _say(_("No routes yet. Add one: `/recordings route add #channel`."))
            lines = "\n".join(f"• {route_line(r)}" for r in routes)
            return _say("*" + _("Routes") + f"*\n{lines}")
        if isinstance(command, RouteAdd):
            options = [unescape(token) for token in command.option_tokens]  # Slack's &lt; ...
            route = add_route(
                store,
                client,
                command.channel_token,
                options,
                created_by=user,
                default_channel=default,
            )
            return _say(_("Route added: {route}").format(route=route_line(route)))
        if isinstance(command, RouteRemove):
            route = remove_route(store, command.route_id, default_channel=default)
            return _say(_("Route removed: {route}").format(route=route_line(route)))
        if isinstance(command, RouteDefault):
            route = set_default_route(
                store, client, command.channel_token, created_by=user, default_channel=default
            )
            return _say(_("Default route set: {route}").format(route=route_line(route)))
        if isinstance(command, Link):
            link_user(store, command.slack_user_id, command.tencent_userid, set_by=user)
            return _say(
                _(
                    "Linked {user} to Tencent Meeting user {userid}: `/recordings mine` now "
                    "shows their recordings."
                ).format(
                    user=f"<@{command.slack_user_id}>",
                    userid=f"`{escape(command.tencent_userid)}`",
                )
            )
    except RouteOptionError as exc:
        return _say(_("Nothing changed: {reason}").format(reason=escape(exc.message)))
    raise TypeError(f"not an admin command: {type(command).__name__}")
