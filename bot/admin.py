"""Admin actions shared by the terminal (`recordings-bot routes ...`) and Slack
(`/recordings route ...`, `/recordings link ...`): one function each, so both behave the same.

Errors are `RouteOptionError` with a message fit to show the admin as is. A route change
routes the recordings a quarantined route held again (bot/held.py) when the caller gives
the default channel: those that now match a route are planned at once; the rest are left to
the poll cycles.
"""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.held import route_held_again
from bot.i18n import _
from bot.models import Route
from bot.routing import RouteOptionError, normalize_channel, parse_route_options
from bot.store import Store
from bot.store.engine import DATABASE_ERRORS
from bot.store.routes import DuplicateRouteError

_USERID = re.compile(r"^[\w.@+\-]{1,128}$")
log = logging.getLogger(__name__)


def _route_held(store: Store, default_channel: str | None) -> None:
    """The routes changed: route the held recordings again (outside the change's transaction).
    A failure here leaves them to the next poll cycle; the route change itself stands."""
    if default_channel is None:
        return
    try:
        route_held_again(store, default_channel, to_default=False)  # see bot/held.py
    except DATABASE_ERRORS as exc:
        log.warning("held recordings left to the next poll cycle: %s", exc)


def resolve_channel(slack: WebClient | None, token: str) -> tuple[str, str | None]:
    """(channel id, name) for `C123`, `<#C123|name>` or, from the terminal, `#name`.

    Checks with Slack that the channel exists and is not archived, when a client is given.
    """
    token = token.strip()
    if token.startswith("#") and not token.startswith("#<"):
        if slack is None:
            raise RouteOptionError(
                _("give the channel's ID (like C0123ABCD): no Slack token is set")
            )
        return _find_channel_by_name(slack, token[1:])
    channel = normalize_channel(token)
    if slack is None:
        return channel, None
    try:
        info = slack.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        if error == "channel_not_found":
            raise RouteOptionError(
                _(
                    "channel {channel} was not found (a private channel needs the bot invited "
                    "first)"
                ).format(channel=channel)
            ) from None
        raise RouteOptionError(
            _("Slack could not check channel {channel}: {error}").format(
                channel=channel, error=error
            )
        ) from None
    if info.get("is_archived"):
        raise RouteOptionError(
            _("channel {channel} is archived").format(channel=f"#{info.get('name', channel)}")
        )
    return channel, info.get("name")


def _find_channel_by_name(slack: WebClient, name: str) -> tuple[str, str | None]:
    cursor = None
    for _page in range(50):
        try:
            page = slack.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor,
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else "unknown"
            raise RouteOptionError(
                _("Slack could not list channels: {error}").format(error=error)
            ) from None
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return channel["id"], name
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    raise RouteOptionError(_("no channel named {name} (or it is archived)").format(name=f"#{name}"))


def add_route(
    store: Store,
    slack: WebClient | None,
    channel_token: str,
    option_tokens: list[str],
    *,
    created_by: str | None = None,
    default_channel: str | None = None,
) -> Route:
    """Add a route; refused (RouteOptionError) if its options are wrong, its channel unusable
    or an identical route (same channel, match fields and policies) exists."""
    spec = parse_route_options(option_tokens)  # validate options before asking Slack
    channel, name = resolve_channel(slack, channel_token)
    try:
        route = store.routes.add(channel, spec, channel_name=name, created_by=created_by)
    except DuplicateRouteError as exc:
        raise RouteOptionError(
            _(
                "route #{id} is identical (same channel {channel}, same options): "
                "no second copy added (`route list` shows it)"
            ).format(id=exc.existing.id, channel=channel)
        ) from None
    _route_held(store, default_channel)
    return route


def edit_route(
    store: Store,
    slack: WebClient | None,
    route_id: int,
    channel_token: str,
    option_tokens: list[str],
    *,
    created_by: str | None = None,
    default_channel: str | None = None,
) -> Route:
    """Replace a route with the one these options describe (the same checks as `add_route`).
    Refused if there is no such route or another is identical."""
    spec = parse_route_options(option_tokens)
    channel, name = resolve_channel(slack, channel_token)
    try:
        route = store.routes.replace(
            route_id, channel, spec, channel_name=name, created_by=created_by
        )
    except DuplicateRouteError as exc:
        raise RouteOptionError(
            _(
                "route #{id} is identical (same channel {channel}, same options): "
                "no second copy kept"
            ).format(id=exc.existing.id, channel=channel)
        ) from None
    if route is None:
        raise RouteOptionError(
            _("there is no route #{id} to edit (see `route list`)").format(id=route_id)
        )
    _route_held(store, default_channel)
    return route


def set_default_route(
    store: Store,
    slack: WebClient | None,
    channel_token: str,
    *,
    created_by: str | None = None,
    default_channel: str | None = None,
) -> Route:
    channel, name = resolve_channel(slack, channel_token)
    route = store.routes.set_default(channel, channel_name=name, created_by=created_by)
    _route_held(store, default_channel)
    return route


def remove_route(store: Store, route_id: int, *, default_channel: str | None = None) -> Route:
    route = store.routes.remove(route_id)
    if route is None:
        raise RouteOptionError(_("there is no route #{id} (see `route list`)").format(id=route_id))
    _route_held(store, default_channel)
    return route


def list_routes(store: Store) -> list[Route]:
    return store.routes.list()


def link_user(store: Store, slack_user_id: str, tencent_userid: str, *, set_by: str) -> None:
    if not _USERID.match(tencent_userid):
        raise RouteOptionError(
            _("{userid} does not look like a Tencent userid").format(
                userid=f"“{tencent_userid[:40]}”"
            )
        )
    store.users.link(slack_user_id, tencent_userid, set_by=set_by)
