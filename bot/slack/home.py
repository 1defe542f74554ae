"""The App Home tab: the viewer's recent recordings, and for admins the routes and the bot's health.

`home_view` is pure rendering of `HomeData` (no store, no Slack calls): bot.slack.answers.home_tab
gathers the data and decides who is an admin, the events listener publishes the view.
Everything from outside (subjects, userids, route options, error messages) is escaped; the view
stays within Slack's 100 blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.health import Health
from bot.i18n import _, language
from bot.models import RecordMeeting, Route
from bot.slack import mrkdwn
from bot.slack.blocks import (
    COMMAND,
    actions,
    button,
    context,
    header,
    md,
    plain,
    section,
    state_label,
    subject_text,
)
from bot.slack.forms import ACTION_ADD_ROUTE, ACTION_LINK_PERSON, ACTION_ROUTE_MENU
from bot.slack.mrkdwn import escape
from bot.slack.status import status_blocks
from bot.slack.texts import GUEST_REFUSAL, route_line

MAX_HOME_BLOCKS = 100
RECENT_DAYS = 30
RECENT_LIMIT = 10  # the viewer's own recordings
COMPANY_LIMIT = 5  # the company's latest, when the viewer's Tencent user is unknown
MAX_SECTION = 3000
MAX_ROUTE_ITEMS = 30  # one block each: with the rest, within the 100 blocks

View = dict[str, Any]


@dataclass(frozen=True)
class AdminPart:
    """What only admins see: the bot's health and the routes."""

    health: Health
    routes: list[Route]


@dataclass(frozen=True)
class HomeData:
    """What one viewer's Home tab shows."""

    tz_name: str  # the zone for dates Slack cannot localise
    is_guest: bool = False  # a guest (or someone Slack could not identify): no recordings
    userid: str | None = None  # the viewer's Tencent userid, when known
    mine: list[RecordMeeting] = field(default_factory=list)  # theirs, last RECENT_DAYS
    latest: list[RecordMeeting] = field(default_factory=list)  # the company's, when not mine
    admin: AdminPart | None = None  # for admins only


def home_view(data: HomeData) -> View:
    """The Home tab view (`{"type": "home", "blocks": [...]}`)."""
    blocks: list[dict[str, Any]] = [header(_("Tencent Meeting recordings"))]
    if data.is_guest:
        blocks.append(section(escape(_(GUEST_REFUSAL))))
        return {"type": "home", "blocks": blocks}
    blocks += _recent_blocks(data)
    words = {"zh": ("今天", "本周", "搜索 关键词", "帮助")}.get(
        language(), ("today", "week", "search WORDS", "help")
    )
    forms = [f"`{COMMAND} {word}`" for word in words]
    blocks.append(
        context(
            _("Find more with {a}, {b}, {c} or {d}. Times are shown in your own time zone.").format(
                a=forms[0], b=forms[1], c=forms[2], d=forms[3]
            )
        )
    )
    if data.admin is not None:
        blocks.append({"type": "divider"})
        blocks += _health_blocks(data.admin.health, data.tz_name)
        blocks.append({"type": "divider"})
        blocks += _route_blocks(data.admin.routes)
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = blocks[: MAX_HOME_BLOCKS - 1] + [context(_("… more than fits here."))]
    return {"type": "home", "blocks": blocks}


# -- the viewer's recordings ------------------------------------------------------------------
def _recent_blocks(data: HomeData) -> list[dict[str, Any]]:
    if data.userid and data.mine:
        title = _("*Your recent recordings* (as host {userid})").format(
            userid=f"`{escape(data.userid)}`"
        )
        return [section(title), *(_recording_block(m, data.tz_name) for m in data.mine)]
    if data.userid:
        hint = _(
            "No recordings hosted by {userid} in the last {days} days. The company's latest:"
        ).format(userid=f"`{escape(data.userid)}`", days=RECENT_DAYS)
    else:
        hint = _(
            "I don't know your Tencent Meeting user yet, so here are the company's latest "
            "recordings. An admin can link you with {example}."
        ).format(example=f"`{COMMAND} link @you USERID`")
    blocks: list[dict[str, Any]] = [section(hint)]
    if not data.latest:
        blocks.append(section(_("No recordings in the last {days} days.").format(days=RECENT_DAYS)))
    blocks += [_recording_block(m, data.tz_name) for m in data.latest]
    return blocks


def _recording_block(meeting: RecordMeeting, tz_name: str) -> dict[str, Any]:
    subject = subject_text(meeting)
    details = [
        _("host {userid}").format(userid=escape(meeting.userid)),
        mrkdwn.date_token(meeting.start_seconds, fallback_tz=tz_name),
        *([mrkdwn.duration(meeting.duration_seconds)] if meeting.record_files else []),
        escape(state_label(meeting)),
    ]
    shared = next((f for f in meeting.record_files if f.shared and f.sharing_url), None)
    if shared is not None:
        details.append(mrkdwn.link(shared.sharing_url or "", _("Watch")))
    return section(f"*{subject}*\n" + " · ".join(details))


# -- admins: health and routes ----------------------------------------------------------------
def _health_blocks(health: Health, tz_name: str) -> list[dict[str, Any]]:
    """The same facts as `/recordings status`, under a section title instead of a header."""
    _text, blocks = status_blocks(health, tz_name)
    return [section("*" + _("Health") + "*"), *(b for b in blocks if b.get("type") != "header")]


def _route_blocks(routes: list[Route]) -> list[dict[str, Any]]:
    """The routes, each with its menu (Edit, Remove), and the Add route / Link a person
    buttons."""
    buttons = actions(
        [
            button(_("Add route"), ACTION_ADD_ROUTE, value="add", style="primary"),
            button(_("Link a person"), ACTION_LINK_PERSON, value="link"),
        ],
        block_id="admin-forms",
    )
    blocks: list[dict[str, Any]] = [section("*" + _("Routes") + "*")]
    if buttons is not None:
        blocks.append(buttons)
    if not routes:
        blocks.append(
            section(
                _(
                    "No routes yet: recordings go nowhere. Add one here, or with {add} or "
                    "{default}."
                ).format(
                    add=f"`{COMMAND} route add #channel`",
                    default=f"`{COMMAND} route default #channel`",
                )
            )
        )
        return blocks
    blocks += [_route_item(r) for r in routes[:MAX_ROUTE_ITEMS]]
    if len(routes) > MAX_ROUTE_ITEMS:
        blocks.append(
            context(
                _("… and {count} more ({command})").format(
                    count=len(routes) - MAX_ROUTE_ITEMS, command=f"`{COMMAND} route list`"
                )
            )
        )
    return blocks


def _route_item(route: Route) -> dict[str, Any]:
    """One route with its menu; the default route is changed with `route default`."""
    block: dict[str, Any] = {"type": "section", "text": md(route_line(route), MAX_SECTION)}
    if route.id is not None and not route.is_default:
        block["accessory"] = {
            "type": "overflow",
            "action_id": ACTION_ROUTE_MENU,
            "options": [
                {"text": plain(_("Edit"), 75), "value": f"edit:{route.id}"},
                {"text": plain(_("Remove"), 75), "value": f"remove:{route.id}"},
            ],
            "confirm": {
                "title": plain(_("Change route #{id}?").format(id=route.id), 100),
                "text": md(route_line(route), 300),
                "confirm": plain(_("Go on"), 30),
                "deny": plain(_("Cancel"), 30),
            },
        }
    return block
