"""What the admins' forms do: open them from App Home, check and apply what was submitted.

A route form's fields become the option tokens `/recordings route add` takes, and go through
the same functions (bot.admin): each field is checked on its own first, so its error shows
under it in the form (`response_action: errors`); then the channel (Slack must let the bot
post there) and the route as a whole (no duplicate). On success the admin channel hears who
changed what, and the admin's Home tab is published again.

Only admins get the buttons; a click or a submission from anyone else (a forged request)
changes nothing and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.admin import add_route, edit_route, link_user, remove_route
from bot.delivery.broken_channels import AdminNotices
from bot.i18n import N_, _, use_language
from bot.routing import RouteOptionError, parse_route_options
from bot.slack import forms
from bot.slack.answers.deps import Deps
from bot.slack.answers.home_tab import publish_home
from bot.slack.answers.slash import speaking_to
from bot.slack.mrkdwn import escape, truncate, user_mention
from bot.slack.texts import route_line

log = logging.getLogger(__name__)

MAX_ERROR = 150  # characters of an inline error
ADMINS_ONLY = N_("Only admins can change routes and links.")

Errors = dict[str, str]


def user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def is_admin(deps: Deps, user_id: str) -> bool:
    facts = deps.users.get(user_id)
    return facts.is_admin and facts.verified and not facts.is_guest


def _refused(what: str, user_id: str) -> None:
    log.warning("%s from %s, who is not an admin: refused, nothing changed", what, user_id)


# -- opening ---------------------------------------------------------------------------------
def open_route_form(deps: Deps, client: WebClient, body: dict[str, Any]) -> None:
    """Add route: the empty form."""
    _open(deps, client, body, forms.route_form, "an Add route click")


def open_link_form(deps: Deps, client: WebClient, body: dict[str, Any]) -> None:
    _open(deps, client, body, forms.link_form, "a Link a person click")


def route_menu(deps: Deps, client: WebClient, body: dict[str, Any]) -> None:
    """A route's menu: `edit:ID` opens its form, `remove:ID` removes it."""
    user = user_of(body)
    action = (body.get("actions") or [{}])[0]
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    verb, _sep, number = chosen.partition(":")
    if not is_admin(deps, user):
        _refused(f"a route {verb or 'menu'} click", user)
        return
    route = deps.store.routes.get(int(number)) if number.isdigit() else None
    if route is None:
        log.info("route menu: %r names no route (removed meanwhile?)", chosen[:40])
        publish_home(deps, client, user)
        return
    if verb == "edit":
        _open(deps, client, body, lambda: forms.route_form(route), "a route Edit click")
    elif verb == "remove":
        removed = remove_route(
            deps.store, int(number), default_channel=deps.settings.default_channel
        )
        notices = _admin_notices(deps, client)
        with use_language(notices.lang):
            said = _("{who} removed route {route}").format(
                who=_who(user), route=route_line(removed)
            )
        _tell_admins(notices, said)
        publish_home(deps, client, user)


def _open(
    deps: Deps, client: WebClient, body: dict[str, Any], view: Callable[[], dict], what: str
) -> None:
    """Open the form `view()` builds, in the admin's language."""
    user = user_of(body)
    if not is_admin(deps, user):
        _refused(what, user)
        return
    with speaking_to(deps, user):
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view())


# -- submitting ------------------------------------------------------------------------------
def submit_route(
    deps: Deps, client: WebClient, body: dict[str, Any], view: dict[str, Any]
) -> Errors | None:
    """Check and apply a submitted route form: the errors to show in it, or None when done."""
    user = user_of(body)
    if not is_admin(deps, user):
        _refused("a route form submission", user)
        return {forms.CHANNEL: _(ADMINS_ONLY)}
    values = forms.submitted(view)
    if forms.CHANNEL not in values:
        return {forms.CHANNEL: _("Choose a channel.")}
    fields = forms.route_form_fields(values)
    errors: Errors = {}
    for block_id, token in fields:
        try:
            parse_route_options([token])
        except RouteOptionError as exc:
            errors[block_id] = _short(str(exc))
    if forms.SUBJECT in values and forms.SUBJECT_REGEX in values:
        errors[forms.SUBJECT_REGEX] = _("Give subject words or a pattern, not both.")
    if errors:
        return errors
    tokens = [token for _block, token in fields]
    editing = str(view.get("private_metadata") or "")
    default = deps.settings.default_channel
    try:
        if editing.isdigit():
            route = edit_route(
                deps.store,
                client,
                int(editing),
                values[forms.CHANNEL],
                tokens,
                created_by=user,
                default_channel=default,
            )
            said = N_("{who} edited route #{id}, now {route}")
        else:
            route = add_route(
                deps.store,
                client,
                values[forms.CHANNEL],
                tokens,
                created_by=user,
                default_channel=default,
            )
            said = N_("{who} added route {route}")
    except RouteOptionError as exc:
        return {forms.CHANNEL: _short(str(exc))}
    notices = _admin_notices(deps, client)
    with use_language(notices.lang):
        told = _(said).format(who=_who(user), id=editing, route=route_line(route))
    _tell_admins(notices, told)
    return None


def submit_link(
    deps: Deps, client: WebClient, body: dict[str, Any], view: dict[str, Any]
) -> Errors | None:
    user = user_of(body)
    if not is_admin(deps, user):
        _refused("a link form submission", user)
        return {forms.LINK_USER: _(ADMINS_ONLY)}
    values = forms.submitted(view)
    person, userid = values.get(forms.LINK_USER), values.get(forms.LINK_USERID)
    if not person:
        return {forms.LINK_USER: _("Choose a person.")}
    if not userid:
        return {forms.LINK_USERID: _("Give their Tencent Meeting userid.")}
    try:
        link_user(deps.store, person, userid, set_by=user)
    except RouteOptionError as exc:
        return {forms.LINK_USERID: _short(str(exc))}
    mention = user_mention(person) or escape(person)
    notices = _admin_notices(deps, client)
    with use_language(notices.lang):
        told = _("{who} linked {person} to {userid}").format(
            who=_who(user), person=mention, userid=f"`{escape(userid)}`"
        )
    _tell_admins(notices, told)
    return None


def _who(user_id: str) -> str:
    return user_mention(user_id) or escape(user_id)


def _short(text: str) -> str:
    return truncate(text, MAX_ERROR)


def _admin_notices(deps: Deps, client: WebClient) -> AdminNotices:
    """The admin channel, in BOT_LANGUAGE, as every other admin notice reaches it."""
    return AdminNotices(client, deps.settings.admin_channel, deps.settings.bot_language)


def _tell_admins(notices: AdminNotices, text: str) -> None:
    """One line in ADMIN_CHANNEL (AdminNotices never raises: the change stands)."""
    log.info("admin change: %s", text)
    notices.send(text)


def refresh_home(deps: Deps, client: WebClient, body: dict[str, Any]) -> None:
    """After a form was submitted: the admin's Home tab again (a member's: nothing)."""
    user = user_of(body)
    if is_admin(deps, user):
        publish_home(deps, client, user)
