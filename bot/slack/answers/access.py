"""Approve / Ignore on a request to view a recording, answered after the ack.

The host or a bot admin decides (bot/access.py calls Tencent Meeting and edits the message);
anyone else, a second click, or a click while another is being answered gets a polite word,
visible only to them.
"""

from __future__ import annotations

from slack_bolt import Respond

from bot.access import AccessDesk, Decision
from bot.slack.access_blocks import decision_text
from bot.slack.answers.clicks import FAILED, Answer, Click, ask_tencent
from bot.slack.answers.deps import Deps
from bot.slack.mrkdwn import escape, truncate

REFUSED = (
    "Only the host of this recording or a bot admin can answer this request. "
    "It is waiting for them."
)
UNKNOWN = "This request is no longer known to the bot. Answer it in Tencent Meeting."
BUSY = "Someone is answering this request right now; look again in a moment."
NO_OPERATOR = (
    "Tencent Meeting did not say who hosts this recording, and no "
    "TENCENT_MEETING_OPERATOR_ID is set: answer this request in Tencent Meeting."
)


def access_desk(deps: Deps) -> AccessDesk:
    """Deciding needs no claimer: it never posts a request."""
    settings = deps.settings
    return AccessDesk(
        deps.store,
        deps.slack,
        deps.tencent,
        admin_channel=settings.admin_channel,
        operator_id=settings.tencent_operator_id,
        claimer="slack-click",
        tz_name=settings.bot_timezone,
    )


def _decide(deps: Deps, click: Click, answer: Answer, *, approve: bool) -> None:
    desk = access_desk(deps)
    facts = deps.users.get(click.user_id)
    result = ask_tencent(
        answer,
        lambda: desk.decide(
            click.value, approve=approve, slack_user_id=click.user_id, is_admin=facts.is_admin
        ),
        failed=f"answer to access request {click.value[:40]}",
        apology="The request was not answered:",
    )
    if result is FAILED:
        return
    row = result.row
    tz = deps.settings.bot_timezone
    if result.outcome is Decision.DONE and row is not None:
        who = escape(truncate(row.requester_name or row.requester_userid or "The requester", 80))
        subject = escape(truncate(row.subject or "(no subject)", 200))
        if approve:
            answer(f"Approved: {who} can now view *{subject}*.")
        else:
            answer(f"Ignored: {who} will not be given access to *{subject}*.")
    elif result.outcome is Decision.ALREADY and row is not None:
        desk.show_decision(row)  # in case the first edit did not reach Slack
        answer(f"This request was already answered: {decision_text(row, tz_name=tz)}")
    elif result.outcome is Decision.REFUSED:
        answer(REFUSED)
    elif result.outcome is Decision.BUSY:
        answer(BUSY)
    elif result.outcome is Decision.NO_OPERATOR:
        answer(NO_OPERATOR)
    else:
        answer(UNKNOWN)


def approve(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    _decide(deps, click, answer, approve=True)


def ignore(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    _decide(deps, click, answer, approve=False)
