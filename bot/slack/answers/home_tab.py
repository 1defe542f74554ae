"""App Home: what one person's Home tab shows, gathered from the store (bot.slack.home draws it).

Guests, and people Slack cannot identify, see no recordings (as with the command). The
viewer's recordings are found through their Tencent userid: an admin's link, else the local
part of their Slack e-mail; without one, or with none of theirs lately, the company's latest.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.health import collect_health
from bot.i18n import use_language
from bot.slack.answers.deps import Deps
from bot.slack.home import (
    COMPANY_LIMIT,
    RECENT_DAYS,
    RECENT_LIMIT,
    AdminPart,
    HomeData,
    View,
    home_view,
)
from bot.slack.users import UserFacts


def viewer_userid(deps: Deps, user_id: str) -> str | None:
    """The viewer's Tencent userid: their link, else their e-mail's local part (if cached)."""
    linked = deps.store.users.linked_userid(user_id)
    if linked:
        return linked
    cached = deps.store.users.cached_user(user_id, max_age=30 * 86400)
    return cached.email_local if cached and cached.email_local else None


def home_data(
    deps: Deps,
    user_id: str,
    *,
    is_admin: bool,
    is_guest: bool = False,
    tencent_userid: str | None = None,
) -> HomeData:
    """What the Home tab of `user_id` shows. `tencent_userid` overrides the lookup of the
    viewer's Tencent user (see `viewer_userid`)."""
    store, tz_name = deps.store, deps.settings.bot_timezone
    if is_guest:
        return HomeData(tz_name, is_guest=True)
    now = int(store.now())
    since = now - RECENT_DAYS * 86400
    userid = tencent_userid or viewer_userid(deps, user_id)
    mine = []
    if userid:
        mine = store.recordings.in_range(since, now, userid=userid, limit=RECENT_LIMIT)
    latest = [] if mine else store.recordings.in_range(since, now, limit=COMPANY_LIMIT)
    admin = None
    if is_admin:
        admin = AdminPart(collect_health(store, deps.settings), store.routes.list())
    return HomeData(tz_name, userid=userid, mine=mine, latest=latest, admin=admin)


def home_for(deps: Deps, user_id: str, facts: UserFacts | None = None) -> View:
    """The Home tab of `user_id`, as Slack sees them (admin, guest, or not identified);
    `facts`: theirs, when the caller has them."""
    facts = facts or deps.users.get(user_id)
    shut_out = facts.is_guest or not facts.verified  # a guest, or Slack could not say
    data = home_data(deps, user_id, is_admin=facts.is_admin and not shut_out, is_guest=shut_out)
    return home_view(data)


def publish_home(deps: Deps, client: WebClient, user_id: str) -> dict[str, Any]:
    """Build and publish one user's Home tab (in their language); returns the view sent."""
    facts = deps.users.get(user_id)
    with use_language(facts.lang):
        view = home_for(deps, user_id, facts)
    client.views_publish(user_id=user_id, view=view)
    return view
