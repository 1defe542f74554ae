"""`/recordings TEXT`: everyone's queries and the admins' commands, answered after the ack.

Every answer is ephemeral, sent to the response_url (`reply_to_command`):

- a query is answered from the store, or after fetching what the store lacks
  (bot.slack.answers.query); when the API budget is spent, a waiting message goes first and the
  answer replaces it;
- whether a query must fetch is decided up front (`start_command`): one that must is a
  `Pending`, run on the app's lane for such answers (`Deps.api_lane`), so answers from the
  store never wait behind it; each person has at most one such question in flight
  (bot.slack.answers.in_flight), and a second one is told so at once;
- text that is not understood gets the reason and the help;
- guests are refused whatever they typed; admin commands from non-admins change nothing
  (bot.slack.answers.admin_commands);
- any unexpected failure is logged (without addresses or tokens) and answered politely.

A long list ends with a "More" button (bot.slack.answers.more_button); its click renders the
next page through `start_command` and `send_started`, like the command.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Respond

from bot.i18n import _, use_language
from bot.models import RecordMeeting
from bot.routing import password_hidden
from bot.slack.answers.admin_commands import admin_answer, admin_word
from bot.slack.answers.deps import Deps
from bot.slack.answers.failures import redacted_trace
from bot.slack.answers.in_flight import Claim
from bot.slack.answers.more_button import more_value
from bot.slack.answers.query import (
    QueryResult,
    answer_query,
    needs_fetch,
    query_page_limit,
    tencent_error_message,
)
from bot.slack.answers.said import SaidPage, said_blocks, said_page
from bot.slack.answers.summary import summary_answer
from bot.slack.blocks import (
    ACTION_MORE,
    COMMAND,
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    BlockDict,
    actions,
    button,
    context,
    help_blocks,
    notice,
    recordings_list,
    section,
)
from bot.slack.mrkdwn import escape, truncate
from bot.slack.parse import Help, Invalid, Query, Summary, parse_command
from bot.slack.texts import (
    ADMINS_ONLY,
    BUSY,
    GUEST_REFUSAL,
    NOT_LINKED,
    RESTARTING,
    SORRY,
    UNVERIFIED,
    still_working_text,
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
        return _(GUEST_REFUSAL)
    if not facts.verified:
        return _(UNVERIFIED)
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
        mine = _("Your recordings ({userid})").format(userid=truncate(userid or "", 40))
        return f"{mine} · {label}"
    if query.host:
        return _("Recordings by {host}").format(host=truncate(query.host, 40)) + f" · {label}"
    return _("Recordings") + f" · {label}"


@dataclass
class Pending:
    """A query that must call Tencent Meeting before it is answered: `run(on_wait)` answers
    it. Its asker's one question in flight (`claim`) is held until `release()`."""

    deps: Deps
    claim: Claim
    run: Callable[[OnWait], Answer]
    lang: str = "en"  # the asker's: the answer is made on another thread

    def release(self) -> None:
        self.deps.in_flight.release(self.claim)

    def answer(self, on_wait: OnWait) -> Answer:
        """Run it (in the asker's language), then release the claim whatever happens."""
        try:
            with use_language(self.lang):
                return self.run(on_wait)
        finally:
            self.release()


def _start_query(
    deps: Deps, facts: UserFacts, text: str, query: Query, page: int
) -> Answer | Pending:
    userid = None
    if query.mine:
        userid = deps.store.users.linked_userid(facts.user_id) or facts.email_local
        if not userid:
            return _say(_(NOT_LINKED).format(command=COMMAND))
    if not needs_fetch(deps, query):  # from the store: at once, wherever this runs
        return _query_answer(deps, facts, text, query, page, userid, lambda _s: None, fetch=False)
    claim = deps.in_flight.claim(facts.user_id, text)
    if claim is None:
        return _say(still_working_text(deps.in_flight.running(facts.user_id)))
    return Pending(
        deps,
        claim,
        lambda on_wait: _query_answer(deps, facts, text, query, page, userid, on_wait),
        lang=facts.lang,
    )


def _query_answer(
    deps: Deps,
    facts: UserFacts,
    text: str,
    query: Query,
    page: int,
    userid: str | None,
    on_wait: OnWait,
    *,
    fetch: bool = True,
) -> Answer:
    try:
        result = answer_query(deps, query, userid=userid, page=page, on_wait=on_wait, fetch=fetch)
    except TencentError as exc:
        log.warning("query failed on the Tencent side: %s", type(exc).__name__)
        return _say(escape(tencent_error_message(exc)))
    said = said_page(deps, facts, query, page) if query.search else None
    has_more = result.has_more or (said is not None and said.has_more)
    next_value = more_value(text, result.page + 1) if has_more else None
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
        note = _(
            ":warning: Part of this period could not be fetched from Tencent Meeting yet (its "
            "API is busy): the list may be incomplete. Try again in about {seconds} s."
        ).format(seconds=max(1, math.ceil(result.retry_after)))
        blocks.insert(1, context(note))
    if result.truncated:
        blocks.insert(1, context(truncated_note(deps, facts, query, result)))
    if said is not None:
        return _with_said(answer_text, blocks, said, facts, next_value, shown=bool(result.meetings))
    return answer_text, blocks


def _with_said(
    answer_text: str,
    blocks: list[BlockDict],
    said: SaidPage,
    facts: UserFacts,
    next_value: str | None,
    *,
    shown: bool,
) -> Answer:
    """A search answer: the subject matches, then the hits in what was said, then one More
    button paging both (a later page leaves out a part that has nothing left)."""
    said_text, said_part = said_blocks(said, tz_name=facts.tz)
    subject_part = [b for b in blocks if b.get("block_id") != "more"]
    parts: list[BlockDict] = []
    if shown or said.offset == 0 or not said.hits:
        parts += subject_part
    else:  # a later page with hits only: keep the answer's title
        parts += subject_part[:1]
    if said.hits or said.offset == 0:
        parts += said_part
    if next_value:
        more = actions([button(_("More"), ACTION_MORE, value=next_value)], block_id="more")
        if more:
            parts.append(more)
    elif said.has_more:
        parts.append(context(_("More was said that matches; narrow the range to see it.")))
    said_summary = said_text.split(": ", 1)[-1] if said.hits else _("nothing said matches")
    return truncate(f"{answer_text} · {said_summary}", MAX_MESSAGE_TEXT), parts[:MAX_BLOCKS]


def truncated_note(deps: Deps, facts: UserFacts, query: Query, result: QueryResult) -> str:
    """What to say when one question could not fetch its whole period: what may be missing,
    and a shorter period to ask for (one week, ending where the fetched part ends)."""
    zone = facts.zone
    last = query.end - timedelta(seconds=1)  # the query's end is exclusive
    missing = ""
    if result.missing_before is not None:
        cut = datetime.fromtimestamp(result.missing_before, zone)
        if cut.date() < last.date():  # a whole day or more is missing: name it
            last = cut
            missing = " " + _("(before {date})").format(date=f"{cut:%Y-%m-%d}")
    first = max(query.start, last - timedelta(days=6))
    pages = query_page_limit(deps.settings)
    return _(
        ":information_source: This period is long, so only its most recent part was fetched "
        "from Tencent Meeting now: one question may fetch {pages} pages, its fair part of a "
        "minute of the API budget. Older recordings{missing} may be missing. Ask the same "
        "again in a minute and I go on where this stopped; or ask for a shorter period, e.g. "
        "{example}. They also show up once the history is synced (an admin can run a backfill)."
    ).format(pages=pages, missing=missing, example=f"`{COMMAND} {first:%Y-%m-%d}..{last:%Y-%m-%d}`")


def _invalid(message: str, is_admin: bool) -> Answer:
    text = _("Sorry, I didn't understand that: {message}.").format(message=escape(message))
    _text, help_ = help_blocks(is_admin)
    return text, [section(text), *help_]


# --------------------------------------------------------------------------- the whole answer
def start_command(
    deps: Deps,
    user_id: str,
    text: str,
    *,
    page: int = 0,
    queries_only: bool = False,
    facts: UserFacts | None = None,
) -> Answer | Pending:
    """The answer to `/recordings TEXT` from `user_id`, or, for a query that must call Tencent
    Meeting first, a `Pending` that answers it (its asker's claim taken: run or release it).
    Only reads the store and Slack's user facts (`facts`, when the caller has them). Raises
    only on bugs."""
    facts = facts or deps.users.get(user_id)
    refused = refusal(facts)
    if refused:
        return _say(refused)
    now = datetime.fromtimestamp(deps.store.now(), facts.zone)
    command = parse_command(text, now=now)
    if isinstance(command, Query):
        return _start_query(deps, facts, text, command, page)
    if isinstance(command, Summary) and not queries_only:
        return summary_answer(deps, facts, command)
    if isinstance(command, Help) or queries_only:
        return help_blocks(facts.is_admin)
    if isinstance(command, Invalid):
        return _invalid(command.message, facts.is_admin)
    if not facts.is_admin:
        return _say(_(ADMINS_ONLY).format(what=admin_word(command)))
    if deps.slack is None:
        return _say(_("Admin commands need the Slack connection, which is not set up."))
    return admin_answer(deps, deps.slack, facts, command)


def answer_command(
    deps: Deps,
    user_id: str,
    text: str,
    *,
    on_wait: OnWait,
    page: int = 0,
    queries_only: bool = False,
) -> Answer:
    """(text, blocks) answering `/recordings TEXT` from `user_id`, fetching (here) what it
    must first. Raises only on bugs."""
    started = start_command(deps, user_id, text, page=page, queries_only=queries_only)
    if isinstance(started, Pending):
        return started.answer(on_wait)
    return started


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
    """Answer one `/recordings` request (after it was acknowledged) at its response_url: at
    once when it needs no API call, else on the API lane (or here, without one)."""
    user_id = str(body.get("user_id") or "")
    text = str(body.get("text") or "")
    with speaking_to(deps, user_id) as facts:
        try:
            started = start_command(deps, user_id, text, facts=facts)
        except ShuttingDown:
            started = _say(_(RESTARTING))
        except Exception as exc:
            log.error("/recordings failed for %s:\n%s", user_id, redacted_trace(exc))
            started = _say(_(SORRY))
        send_started(deps, started, respond, user_id)


def known_language(deps: Deps, user_id: str) -> str | None:
    """The person's language as the store last saw it (no Slack call: for a busy answer)."""
    try:
        cached = deps.store.users.cached_user(user_id, float("inf")) if user_id else None
    except Exception:  # the store is down too: the default language
        return None
    return cached.locale if cached else None


@contextmanager
def speaking_to(deps: Deps, user_id: str) -> Iterator[UserFacts | None]:
    """Answer `user_id` in their language (their Slack locale) inside the block; yields their
    facts, for the answer to use (None when they could not be read)."""
    facts = None
    try:
        facts = deps.users.get(user_id) if user_id else None
    except Exception as exc:  # the store is down: answer (the error) in the default language
        log.warning("no language for %s: %s", user_id, type(exc).__name__)
    with use_language(facts.lang if facts else None):
        yield facts


def send_started(
    deps: Deps, started: Answer | Pending, respond: Respond, user_id: str, *, replace=False
) -> None:
    """Send an answer at once, or fetch a Pending on the API lane first (here, without one),
    so answers from the store never wait behind fetches. `replace`: replace the message the
    request came from (a More button's page)."""
    if not isinstance(started, Pending):
        _send(respond, *started, replace=replace)
        return
    pending = started

    def finish(late: bool) -> None:
        with use_language(pending.lang):  # on the API lane's thread
            _finish(deps, pending, respond, user_id, late=late, replace=replace)

    lane = deps.api_lane
    if lane is None:
        finish(False)
    elif not lane(finish):
        pending.release()
        reply_busy(respond)


def _finish(
    deps: Deps, pending: Pending, respond: Respond, user_id: str, *, late: bool, replace: bool
) -> None:
    """Fetch and answer a Pending query (or only say the bot is busy, when it came `late`)."""
    if late:
        pending.release()
        reply_busy(respond)
        return
    waited = False

    def on_wait(seconds: float) -> None:
        nonlocal waited
        message = waiting_text(seconds, deps.settings.tencent_rate_limit)
        _send(respond, message, notice(message), replace=replace)
        waited = True

    try:
        answer_text, blocks = pending.answer(on_wait)
    except ShuttingDown:
        answer_text, blocks = _say(_(RESTARTING))
    except Exception as exc:
        log.error("/recordings failed for %s:\n%s", user_id, redacted_trace(exc))
        answer_text, blocks = _say(_(SORRY))
    _send(respond, answer_text, blocks, replace=replace or waited)


def reply_busy(respond: Respond) -> None:
    """Tell the person the bot has too much to do to answer this request now."""
    _send(respond, _(BUSY), notice(_(BUSY)), replace=False)
