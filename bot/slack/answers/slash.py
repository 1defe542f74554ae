"""`/recordings TEXT`: everyone's queries and the admins' commands, answered after the ack.

Every answer is ephemeral, sent to the response_url (`reply_to_command`):

- a query is answered from the store, or after fetching what the store lacks
  (bot.slack.answers.query); when the API budget is spent, a waiting message goes first and the
  answer replaces it;
- text that is not understood gets the reason and the help;
- guests are refused whatever they typed; admin commands from non-admins change nothing
  (bot.slack.answers.admin_commands);
- any unexpected failure is logged (without addresses or tokens) and answered politely.

A long list ends with a "More" button (bot.slack.answers.more_button); its click renders the
next page with `render_query_page`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Respond

from bot.models import RecordMeeting
from bot.routing import password_hidden
from bot.slack.answers.admin_commands import admin_answer, admin_word
from bot.slack.answers.deps import Deps
from bot.slack.answers.failures import redacted_trace
from bot.slack.answers.more_button import more_value
from bot.slack.answers.query import answer_query, tencent_error_message
from bot.slack.blocks import BlockDict, context, help_blocks, notice, recordings_list, section
from bot.slack.mrkdwn import escape, truncate
from bot.slack.parse import Help, Invalid, Query, parse_command
from bot.slack.texts import (
    ADMINS_ONLY,
    BUSY,
    GUEST_REFUSAL,
    NOT_LINKED,
    RESTARTING,
    SORRY,
    UNVERIFIED,
    waiting_text,
)
from bot.slack.users import UserFacts
from bot.stopping import ShuttingDown
from bot.tencent.errors import TencentError

log = logging.getLogger(__name__)

Answer = tuple[str, list[BlockDict]]
OnWait = Callable[[float], None]


def _say(text: str) -> Answer:
    """An answer of one section; `text` must already be mrkdwn-safe."""
    return text, notice(text)


# --------------------------------------------------------------------------- who may see what
def refusal(facts: UserFacts) -> str | None:
    """Why this person gets no recordings (a guest, or Slack could not say who they are)."""
    if facts.is_guest:
        return GUEST_REFUSAL
    if not facts.verified:
        return UNVERIFIED
    return None


def password_policy(deps: Deps) -> Callable[[RecordMeeting], bool]:
    """Whether a recording's password stays hidden (every route it takes says hide)."""
    routes = deps.store.routes.list()
    default = deps.settings.default_channel or None
    return lambda meeting: password_hidden(meeting, routes, default)


# --------------------------------------------------------------------------- queries
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
    deps: Deps, facts: UserFacts, text: str, query: Query, page: int, on_wait: OnWait
) -> Answer:
    userid = None
    if query.mine:
        userid = deps.store.users.linked_userid(facts.user_id) or facts.email_local
        if not userid:
            return _say(NOT_LINKED)
    try:
        result = answer_query(deps, query, userid=userid, page=page, on_wait=on_wait)
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
        password_hidden=password_policy(deps),
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


# --------------------------------------------------------------------------- the whole answer
def answer_command(
    deps: Deps,
    user_id: str,
    text: str,
    *,
    on_wait: OnWait,
    page: int = 0,
    queries_only: bool = False,
) -> Answer:
    """(text, blocks) answering `/recordings TEXT` from `user_id`. Raises only on bugs."""
    facts = deps.users.get(user_id)
    refused = refusal(facts)
    if refused:
        return _say(refused)
    now = datetime.fromtimestamp(deps.store.now(), facts.zone)
    command = parse_command(text, now=now)
    if isinstance(command, Query):
        return _query_answer(deps, facts, text, command, page, on_wait)
    if isinstance(command, Help) or queries_only:
        return help_blocks(facts.is_admin)
    if isinstance(command, Invalid):
        return _invalid(command.message, facts.is_admin)
    if not facts.is_admin:
        return _say(ADMINS_ONLY.format(what=admin_word(command)))
    if deps.slack is None:
        return _say("Admin commands need the Slack connection, which is not set up.")
    return admin_answer(deps, deps.slack, facts, command)


def render_query_page(
    deps: Deps, user_id: str, text: str, page: int, *, on_wait: OnWait | None = None
) -> Answer:
    """(text, blocks) of page `page` (0-based) of the answer to `/recordings TEXT`, for the
    "More" button. Re-reads the period in the clicker's time zone; guests are refused; text
    that is not a query gets the help (a button never runs an admin command). Usually answers
    from the store; it may wait for the Tencent API like the command does (`on_wait` is told
    first). Raises only on bugs."""
    return answer_command(
        deps,
        user_id,
        text,
        on_wait=on_wait or (lambda _seconds: None),
        page=max(0, page),
        queries_only=True,
    )


# --------------------------------------------------------------------------- sending it
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


def reply_to_command(deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """Answer one `/recordings` request (after it was acknowledged) at its response_url."""
    user_id = str(body.get("user_id") or "")
    text = str(body.get("text") or "")
    waited = False

    def on_wait(seconds: float) -> None:
        nonlocal waited
        message = waiting_text(seconds, deps.settings.tencent_rate_limit)
        _send(respond, message, notice(message), replace=False)
        waited = True

    try:
        answer_text, blocks = answer_command(deps, user_id, text, on_wait=on_wait)
    except ShuttingDown:
        answer_text, blocks = _say(RESTARTING)
    except Exception as exc:
        log.error("/recordings failed for %s:\n%s", user_id, redacted_trace(exc))
        answer_text, blocks = _say(SORRY)
    _send(respond, answer_text, blocks, replace=waited)


def reply_busy(respond: Respond) -> None:
    """Tell the person the bot has too much to do to answer this request now."""
    _send(respond, BUSY, notice(BUSY), replace=False)
