"""The App Home tab: the viewer's recent recordings, and for admins the routes and the bot's health.

`home_view` is pure rendering over the store (no Slack calls): the events listener decides who
is an admin and publishes the view. Everything from outside (subjects, userids, route options,
error messages) is escaped; the view stays within Slack's 100 blocks.
"""

from __future__ import annotations

from typing import Any

from bot.health import Health, collect_health
from bot.models import RecordMeeting, Route
from bot.slack import mrkdwn
from bot.slack.blocks import COMMAND, context, header, md, section, subject_text
from bot.slack.listeners.commands import GUEST_REFUSAL, route_line
from bot.slack.mrkdwn import escape
from bot.slack.status import status_blocks
from bot.wiring import Services

MAX_HOME_BLOCKS = 100
RECENT_DAYS = 30
RECENT_LIMIT = 10  # the viewer's own recordings
COMPANY_LIMIT = 5  # the company's latest, when the viewer's Tencent user is unknown
MAX_SECTION = 3000
MAX_ROUTE_LINES = 40

View = dict[str, Any]


def viewer_userid(services: Services, user_id: str) -> str | None:
    """The viewer's Tencent userid: their link, else their e-mail's local part (if cached)."""
    linked = services.store.users.linked_userid(user_id)
    if linked:
        return linked
    cached = services.store.users.cached_user(user_id, max_age=30 * 86400)
    return cached.email_local if cached and cached.email_local else None


def home_view(
    services: Services,
    user_id: str,
    *,
    is_admin: bool,
    is_guest: bool = False,
    tencent_userid: str | None = None,
) -> View:
    """The Home tab view for one Slack user (`{"type": "home", "blocks": [...]}`).

    Guests see no recordings (as with the command). `tencent_userid` overrides the lookup of
    the viewer's Tencent user (see `viewer_userid`).
    """
    tz_name = services.settings.bot_timezone
    blocks: list[dict[str, Any]] = [header("Tencent Meeting recordings")]
    if is_guest:
        blocks.append(section(escape(GUEST_REFUSAL)))
        return {"type": "home", "blocks": blocks}
    blocks += _recent_blocks(services, user_id, tencent_userid, tz_name)
    blocks.append(
        context(
            f"Find more with `{COMMAND} today`, `{COMMAND} week`, `{COMMAND} search WORDS` "
            f"or `{COMMAND} help`. Times are shown in your own time zone."
        )
    )
    if is_admin:
        health = collect_health(services.store, services.settings)
        blocks.append({"type": "divider"})
        blocks += _health_blocks(health, tz_name)
        blocks.append({"type": "divider"})
        blocks += _route_blocks(services.store.routes.list())
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = blocks[: MAX_HOME_BLOCKS - 1] + [context("… more than fits here.")]
    return {"type": "home", "blocks": blocks}


# -- the viewer's recordings ------------------------------------------------------------------
def _recent_blocks(
    services: Services, user_id: str, tencent_userid: str | None, tz_name: str
) -> list[dict[str, Any]]:
    store = services.store
    now = int(store.now())
    userid = tencent_userid or viewer_userid(services, user_id)
    if userid:
        mine = store.recordings.in_range(
            now - RECENT_DAYS * 86400, now, userid=userid, limit=RECENT_LIMIT
        )
        if mine:
            title = f"*Your recent recordings* (as host `{escape(userid)}`)"
            return [section(title), *(_recording_block(m, tz_name) for m in mine)]
        hint = (
            f"No recordings hosted by `{escape(userid)}` in the last {RECENT_DAYS} days. "
            "The company's latest:"
        )
    else:
        hint = (
            "I don't know your Tencent Meeting user yet, so here are the company's latest "
            f"recordings. An admin can link you with `{COMMAND} link @you USERID`."
        )
    latest = store.recordings.in_range(now - RECENT_DAYS * 86400, now, limit=COMPANY_LIMIT)
    blocks: list[dict[str, Any]] = [section(hint)]
    if not latest:
        blocks.append(section(f"No recordings in the last {RECENT_DAYS} days."))
    blocks += [_recording_block(m, tz_name) for m in latest]
    return blocks


def _recording_block(meeting: RecordMeeting, tz_name: str) -> dict[str, Any]:
    subject = subject_text(meeting)
    details = [
        f"host {escape(meeting.userid)}",
        mrkdwn.date_token(meeting.start_seconds, fallback_tz=tz_name),
        *([mrkdwn.duration(meeting.duration_seconds)] if meeting.record_files else []),
        escape(meeting.state_name),
    ]
    shared = next((f for f in meeting.record_files if f.shared and f.sharing_url), None)
    if shared is not None:
        details.append(mrkdwn.link(shared.sharing_url or "", "Watch"))
    return section(f"*{subject}*\n" + " · ".join(details))


# -- admins: health and routes ----------------------------------------------------------------
def _health_blocks(health: Health, tz_name: str) -> list[dict[str, Any]]:
    """The same facts as `/recordings status`, under a section title instead of a header."""
    _, blocks = status_blocks(health, tz_name)
    return [section("*Health*"), *(b for b in blocks if b.get("type") != "header")]


def _route_blocks(routes: list[Route]) -> list[dict[str, Any]]:
    if not routes:
        return [
            section(
                "*Routes*\nNo routes yet: recordings go nowhere. Add one with "
                f"`{COMMAND} route add #channel` or `{COMMAND} route default #channel`."
            )
        ]
    lines = [route_line(r) for r in routes[:MAX_ROUTE_LINES]]
    if len(routes) > MAX_ROUTE_LINES:
        lines.append(f"… and {len(routes) - MAX_ROUTE_LINES} more (`{COMMAND} route list`)")
    return [section("*Routes*"), {"type": "section", "text": md("\n".join(lines), MAX_SECTION)}]
