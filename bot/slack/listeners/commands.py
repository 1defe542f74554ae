"""`/recordings`: everyone's queries and the admins' commands.

The Bolt listener acknowledges first (no I/O before `ack()`), then hands the work to this
module's own thread pool, so Bolt's small listener pool is never held by a slow answer and
every request is acknowledged at once. Every answer is ephemeral, sent to the response_url:

- a query is answered from the store, or after fetching what the store lacks (bot.slack.query);
  when the API budget is spent, a waiting message goes first and the answer replaces it;
- text that is not understood gets the reason and the help;
- guests are refused whatever they typed; admin commands from non-admins change nothing;
- any unexpected failure is logged (without addresses or tokens) and answered politely.

For the "More" button (action_id `more_results`, handled in actions.py): its value is
`more_value(text, page)`, JSON `{"text": command text, "page": next page (0-based)}`;
`parse_more_value(value)` gives back (text, page), and
`render_query_page(services, user_id, text, page)` renders that page as (text, blocks).
"""

from __future__ import annotations

import json
import logging
import math
import re
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.admin import add_route, link_user, list_routes, remove_route, set_default_route
from bot.health import collect_health
from bot.models import RecordMeeting, Route
from bot.routing import RouteOptionError, password_hidden
from bot.slack.blocks import (
    COMMAND,
    MAX_BUTTON_VALUE,
    BlockDict,
    context,
    help_blocks,
    notice,
    recordings_list,
    section,
)
from bot.slack.mrkdwn import escape, truncate
from bot.slack.parse import (
    Command,
    Help,
    Invalid,
    Link,
    Query,
    RouteAdd,
    RouteDefault,
    RouteList,
    RouteRemove,
    Status,
    parse_command,
    unescape,
)
from bot.slack.query import answer_query, tencent_error_message
from bot.slack.status import status_blocks
from bot.slack.users import UserDirectory, UserFacts
from bot.stopping import ShuttingDown
from bot.tencent.errors import TencentError
from bot.wiring import Services

log = logging.getLogger(__name__)

WORKERS = 16
Answer = tuple[str, list[BlockDict]]
OnWait = Callable[[float], None]

RESTARTING = "The bot is restarting. Please ask again in a minute."
UNVERIFIED = (
    "Slack did not tell me who you are just now, so I can't show recordings yet. Please "
    "try again in a minute."
)
SORRY = "Something went wrong on our side, sorry. It has been logged; please try again in a minute."
GUEST_REFUSAL = (
    "Sorry, guests can't look up meeting recordings here. Please ask a member of the "
    "workspace to share the recording you need."
)
ADMINS_ONLY = "`{what}` is for admins only; nothing was changed."
NOT_LINKED = (
    "I don't know your Tencent Meeting user id yet, so I can't tell which recordings are "
    "yours. Ask an admin to link you: `/recordings link @you TENCENT_USERID`. Meanwhile, try "
    "`/recordings host TENCENT_USERID`."
)
_URL = re.compile(r"https?://\S+")


def _say(text: str) -> Answer:
    """An answer of one section; `text` must already be mrkdwn-safe."""
    return text, notice(text)


def waiting_text(seconds: float, rate_limit: int) -> str:
    return (
        f"Fetching from Tencent Meeting, about {max(1, math.ceil(seconds))} s "
        f"(the API allows {rate_limit} calls a minute)…"
    )


# --------------------------------------------------------------------------- "More" values
def more_value(text: str, page: int) -> str | None:
    """The "More" button's value for page `page` of `text` (None when it would not fit)."""
    value = json.dumps({"text": text, "page": page}, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE else None


def parse_more_value(value: str) -> tuple[str, int]:
    """(command text, page) from a "More" value; ValueError when malformed."""
    try:
        data = json.loads(value)
        text, page = data["text"], data["page"]
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError("malformed More value") from exc
    if not isinstance(text, str) or not isinstance(page, int) or isinstance(page, bool):
        raise ValueError("malformed More value")
    return text, max(0, page)


# --------------------------------------------------------------------------- queries
def refusal(facts: UserFacts) -> str | None:
    """Why this person gets no recordings (a guest, or Slack could not say who they are)."""
    if facts.is_guest:
        return GUEST_REFUSAL
    if not facts.verified:
        return UNVERIFIED
    return None


def password_policy(services: Services) -> Callable[[RecordMeeting], bool]:
    """Whether a recording's password stays hidden (every route it takes says hide)."""
    routes = services.store.routes.list()
    default = services.settings.default_channel or None
    return lambda meeting: password_hidden(meeting, routes, default)


def _title(query: Query, userid: str | None) -> str:
    label = query.label
    if query.search:
        return f"“{truncate(query.search, 60)}” · {label}"
    if query.mine:
        return f"Your recordings ({truncate(userid or '', 40)}) · {label}"
    if query.host:
        return f"Recordings by {truncate(query.host, 40)} · {label}"
    return f"Recordings · {label}"


def _query_answer(
    services: Services, facts: UserFacts, text: str, query: Query, page: int, on_wait: OnWait
) -> Answer:
    userid = None
    if query.mine:
        userid = services.store.users.linked_userid(facts.user_id) or facts.email_local
        if not userid:
            return _say(NOT_LINKED)
    try:
        result = answer_query(services, query, userid=userid, page=page, on_wait=on_wait)
    except TencentError as exc:
        log.warning("query failed on the Tencent side: %s", type(exc).__name__)
        return _say(escape(tencent_error_message(exc)))
    next_value = more_value(text, result.page + 1) if result.has_more else None
    answer_text, blocks = recordings_list(
        result.window(),  # type: ignore[arg-type]  # a Sequence holding only this page
        title=_title(query, userid),
        tz_name=facts.tz,
        page=result.page,
        page_size=result.page_size,
        more_value=next_value,
        password_hidden=password_policy(services),
    )
    if result.incomplete:
        note = (
            ":warning: Part of this period could not be fetched from Tencent Meeting yet (its "
            f"API is busy): the list may be incomplete. Try again in about "
            f"{max(1, math.ceil(result.retry_after))} s."
        )
        blocks.insert(1, context(note))
    if result.truncated:
        note = (
            ":information_source: This period is long, so only its most recent part was fetched "
            "from Tencent Meeting now (one request may spend a minute of the API budget). Older "
            "recordings show up once the history is synced: ask an admin to run a backfill."
        )
        blocks.insert(1, context(note))
    return answer_text, blocks


def _invalid(message: str, is_admin: bool) -> Answer:
    text = f"Sorry, I didn't understand that: {escape(message)}."
    _, help_ = help_blocks(is_admin)
    return text, [section(text), *help_]


# --------------------------------------------------------------------------- admin commands
def route_line(route: Route) -> str:
    """route.describe(), escaped, with its channel shown as a channel link."""
    line = escape(route.describe())
    return line.replace(f"&lt;#{route.channel}&gt;", f"<#{route.channel}>")


def _admin_answer(services: Services, client: WebClient, facts: UserFacts, command: Any) -> Answer:
    store, user = services.store, facts.user_id
    try:
        if isinstance(command, Status):
            health = collect_health(store, services.settings)
            return status_blocks(health, facts.tz)
        if isinstance(command, RouteList):
            routes = list_routes(store)
            if not routes:
                return _say("No routes yet. Add one: `/recordings route add #channel`.")
            return _say("*Routes*\n" + "\n".join(f"• {route_line(r)}" for r in routes))
        if isinstance(command, RouteAdd):
            options = [unescape(token) for token in command.option_tokens]  # Slack's &lt; ...
            route = add_route(store, client, command.channel_token, options, created_by=user)
            return _say(f"Route added: {route_line(route)}")
        if isinstance(command, RouteRemove):
            route = remove_route(store, command.route_id)
            return _say(f"Route removed: {route_line(route)}")
        if isinstance(command, RouteDefault):
            route = set_default_route(store, client, command.channel_token, created_by=user)
            return _say(f"Default route set: {route_line(route)}")
        if isinstance(command, Link):
            link_user(store, command.slack_user_id, command.tencent_userid, set_by=user)
            return _say(
                f"Linked <@{command.slack_user_id}> to Tencent Meeting user "
                f"`{escape(command.tencent_userid)}`: `/recordings mine` now shows their "
                "recordings."
            )
    except RouteOptionError as exc:
        return _say(f"Nothing changed: {escape(exc.message)}")
    raise TypeError(f"not an admin command: {type(command).__name__}")


def _admin_word(command: Command) -> str:
    if isinstance(command, Status):
        return "status"
    if isinstance(command, Link):
        return "link"
    return "route"


# --------------------------------------------------------------------------- the whole answer
def answer_command(
    services: Services,
    client: WebClient | None,
    user_id: str,
    text: str,
    *,
    on_wait: OnWait,
    page: int = 0,
    queries_only: bool = False,
) -> Answer:
    """(text, blocks) answering `/recordings TEXT` from `user_id`. Raises only on bugs."""
    facts = UserDirectory.for_services(services, client).get(user_id)
    refused = refusal(facts)
    if refused:
        return _say(refused)
    now = datetime.fromtimestamp(services.store.now(), facts.zone)
    command = parse_command(text, now=now)
    if isinstance(command, Query):
        return _query_answer(services, facts, text, command, page, on_wait)
    if isinstance(command, Help) or queries_only:
        return help_blocks(facts.is_admin)
    if isinstance(command, Invalid):
        return _invalid(command.message, facts.is_admin)
    if not facts.is_admin:
        return _say(ADMINS_ONLY.format(what=_admin_word(command)))
    if client is None:
        return _say("Admin commands need the Slack connection, which is not set up.")
    return _admin_answer(services, client, facts, command)


def render_query_page(
    services: Services,
    user_id: str,
    text: str,
    page: int,
    *,
    client: WebClient | None = None,
    on_wait: OnWait | None = None,
) -> Answer:
    """(text, blocks) of page `page` (0-based) of the answer to `/recordings TEXT`, for the
    "More" button. Re-reads the period in the clicker's time zone; guests are refused; text
    that is not a query gets the help (a button never runs an admin command). Usually answers
    from the store; it may wait for the Tencent API like the command does (`on_wait` is told
    first). Raises only on bugs. `client` defaults to services.slack (for users.info)."""
    return answer_command(
        services,
        client if client is not None else services.slack,
        user_id,
        text,
        on_wait=on_wait or (lambda _seconds: None),
        page=max(0, page),
        queries_only=True,
    )


# --------------------------------------------------------------------------- the listener
def redacted_trace(exc: BaseException) -> str:
    """The exception's traceback with every address replaced by <url>, fit for the log."""
    return _URL.sub("<url>", "".join(traceback.format_exception(exc)))


def _log_failure(user_id: str, exc: BaseException) -> None:
    log.error("/recordings failed for %s:\n%s", user_id, redacted_trace(exc))


def _send(respond: Respond, text: str, blocks: list[BlockDict], replace: bool) -> None:
    kwargs: dict[str, Any] = {"response_type": "ephemeral"}
    if replace:
        kwargs["replace_original"] = True
    try:
        response = respond(text=text, blocks=blocks, **kwargs)
        if response.status_code >= 400 and blocks:
            log.warning("response_url refused the blocks (%s); sending text", response.status_code)
            respond(text=text, **kwargs)
    except Exception as exc:  # the response_url expired or Slack is unreachable
        log.warning("could not answer at the response_url: %s", type(exc).__name__)


def run_command(services: Services, client: WebClient | None, body: dict, respond: Respond) -> None:
    """Answer one `/recordings` request (after it was acknowledged)."""
    user_id = str(body.get("user_id") or "")
    text = str(body.get("text") or "")
    waited = False

    def on_wait(seconds: float) -> None:
        nonlocal waited
        message = waiting_text(seconds, services.settings.tencent_rate_limit)
        _send(respond, message, notice(message), replace=False)
        waited = True

    try:
        answer_text, blocks = answer_command(services, client, user_id, text, on_wait=on_wait)
    except ShuttingDown:
        answer_text, blocks = _say(RESTARTING)
    except Exception as exc:
        _log_failure(user_id, exc)
        answer_text, blocks = _say(SORRY)
    _send(respond, answer_text, blocks, replace=waited)


def register(app: App, services: Services) -> None:
    """Register the `/recordings` listener."""
    workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="recordings-command")
    services.executors.append(workers)  # drained when the bot stops

    def recordings_command(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        ack()  # first, before any I/O: Slack wants an answer within 3 seconds
        workers.submit(run_command, services, client, command, respond)

    app.command(COMMAND)(recordings_command)
