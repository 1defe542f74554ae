"""Approve / Ignore on a request to view a recording, answered after the ack.

The host or a bot admin decides (bot/access.py calls Tencent Meeting and edits the message);
anyone else, a second click, or a click while another is being answered gets a polite word,
visible only to them.
"""

from __future__ import annotations

from slack_bolt import Respond

from bot.access import AccessDesk, Decision
from bot.i18n import N_, _
from bot.slack.access_blocks import decision_text
from bot.slack.answers.clicks import FAILED, Answer, Click, ask_tencent
from bot.slack.answers.deps import Deps
from bot.slack.blocks import NO_SUBJECT
from bot.slack.mrkdwn import escape, truncate

REFUSED = N_(
    "Only the host of this recording or a bot admin can answer this request. "
    "It is waiting for them."
)
UNKNOWN = N_("This request is no longer known to the bot. Answer it in Tencent Meeting.")
BUSY = N_("Someone is answering this request right now; look again in a moment.")
NO_OPERATOR = N_(
    "Tencent Meeting did not say who hosts this recording, and no "
    "TENCENT_MEETING_OPERATOR_ID is set: answer this request in Tencent Meeting."
)


def access_desk(deps: Deps) -> AccessDesk:
    """Deciding needs no claimer: it never posts a request."""
    return AccessDesk.from_settings(
        deps.settings, deps.store, deps.tencent, deps.slack, claimer="slack-click"
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
        apology=_("The request was not answered:"),
    )
    if result is FAILED:
        return
    row = result.row
    tz = deps.settings.bot_timezone
    if result.outcome is Decision.DONE and row is not None:
        who = escape(truncate(row.requester_name or row.requester_userid or _("Someone"), 80))
        subject = f"*{escape(truncate(row.subject or _(NO_SUBJECT), 200))}*"
        if approve:
            answer(_("Approved: {who} can now view {subject}.").format(who=who, subject=subject))
        else:
            answer(
                _("Ignored: {who} will not be given access to {subject}.").format(
                    who=who, subject=subject
                )
            )
    elif result.outcome is Decision.ALREADY and row is not None:
        desk.show_decision(row)  # in case the first edit did not reach Slack
        answer(
            _("This request was already answered: {decision}").format(
                decision=decision_text(row, tz_name=tz)
            )
        )
    elif result.outcome is Decision.REFUSED:
        answer(_(REFUSED))
    elif result.outcome is Decision.BUSY:
        answer(_(BUSY))
    elif result.outcome is Decision.NO_OPERATOR:
        answer(_(NO_OPERATOR))
    else:
        answer(_(UNKNOWN))


def approve(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    _decide(deps, click, answer, approve=True)


def ignore(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    _decide(deps, click, answer, approve=False)
