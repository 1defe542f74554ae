"""Stored routes the bot cannot use (a `subject~` regex RE2 refuses, saved by an older release),
and telling the admins about them once per route.

Such a route is quarantined rather than allowed to block the bot: routing treats it as matching
nothing, and a recording it might have matched is held: not posted to the default channel
either (bot/routing.py) until the routes change (bot/held.py). `/recordings status` lists
them (bot/health.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.delivery.broken_channels import AdminNotices
from bot.i18n import _, use_language
from bot.models import Route
from bot.routing import quarantine_reason
from bot.slack.mrkdwn import escape

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)


def quarantined_routes(routes: list[Route]) -> list[tuple[Route, str]]:
    """(route, why) for each route that cannot be used."""
    found = []
    for route in routes:
        reason = quarantine_reason(route)
        if reason is not None:
            found.append((route, reason))
    return found


def report_quarantined(store: Store, notices: AdminNotices) -> list[tuple[Route, str]]:
    """Tell the admins' channel about each quarantined route, once per route; returns them."""
    found = quarantined_routes(store.routes.list())
    for route, reason in found:
        key = f"route_quarantined:{route.id}"
        if store.state.get(key) is not None:
            continue
        store.state.set(key, {"reason": reason, "at": store.now()})
        log.warning("route #%s is quarantined: %s", route.id, reason)
        with use_language(notices.lang):
            text = _(
                ":warning: Route #{id} (to {channel}) is quarantined: its `subject~` regex cannot "
                "be used: {reason}. It matches nothing, and recordings it might have matched are "
                "held, not posted (not to the default channel either), until you replace it: "
                "{remove}, then add it again with a regex RE2 accepts. Then the held ones that "
                "match a route are posted there; the rest go to the default channel once the "
                "routes have stayed unchanged for 5 minutes."
            ).format(
                id=route.id,
                channel=f"<#{escape(route.channel)}>",
                reason=escape(reason),
                remove=f"`/recordings route remove {route.id}`",
            )
        notices.send(text)
    return found
