"""The message a request to view a recording gets in Slack: who asks for which recording, with
Approve / Ignore; once answered, the decision (who, when) instead of the buttons.

Everything from Tencent (names, subject, the requester's note) is escaped: none of it can ping
a channel or fake a link.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.slack import mrkdwn
from bot.slack.blocks import (
    MAX_SUBJECT_IN_LINE,
    NO_SUBJECT,
    BlockDict,
    actions,
    button,
    context,
    section,
)
from bot.slack.mrkdwn import escape, truncate, user_mention
from bot.store.access import APPROVED, AccessRequestRow

ACTION_APPROVE_ACCESS = "access_approve"
ACTION_IGNORE_ACCESS = "access_ignore"
ACCESS_METADATA_EVENT_TYPE = "tencent_access_request"
MAX_NOTE = 500


def access_metadata(apply_id: str) -> dict[str, Any]:
    """The metadata on the message: what finds it again after a crash."""
    return {"event_type": ACCESS_METADATA_EVENT_TYPE, "event_payload": {"apply_id": apply_id}}


def _who(row: AccessRequestRow) -> str:
    name = row.requester_name or row.requester_userid or _("Someone")
    text = f"*{escape(truncate(name, 80))}*"
    if row.requester_userid and row.requester_userid != row.requester_name:
        text += f" ({escape(truncate(row.requester_userid, 80))})"
    return text


def _subject(row: AccessRequestRow) -> str:
    return escape(truncate(row.subject or _(NO_SUBJECT), MAX_SUBJECT_IN_LINE))


def access_request_message(
    row: AccessRequestRow, *, tz_name: str, to_admins: bool
) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) of a request: Approve / Ignore until it is answered, then the
    decision. `to_admins`: posted in the admin channel (the host could not be found)."""
    subject = _subject(row)
    lines = [
        _("{who} asks to view the recording {subject}.").format(
            who=_who(row), subject=f"*{subject}*"
        )
    ]
    if row.note:
        lines.append("> " + escape(truncate(row.note, MAX_NOTE)).replace("\n", "\n> "))
    blocks: list[BlockDict] = [section("\n".join(lines))]
    notes = [
        _("Asked {when}").format(when=mrkdwn.date_token(row.requested_at, fallback_tz=tz_name))
    ]
    if to_admins:
        host = escape(truncate(row.host_userid or _("unknown"), 80))
        notes.append(
            _("host in Tencent Meeting: {host} (not linked to a Slack user)").format(host=host)
        )
    blocks.append(context(" · ".join(notes)))
    if row.decision is None:
        buttons = actions(
            [
                button(_("Approve"), ACTION_APPROVE_ACCESS, value=row.apply_id, style="primary"),
                button(_("Ignore"), ACTION_IGNORE_ACCESS, value=row.apply_id),
            ],
            block_id=f"access:{row.apply_id}",
        )
        if buttons is not None:
            blocks.append(buttons)
        text = _("{who} asks to view {subject}").format(who=_who(row), subject=subject)
    else:
        blocks.append(context(decision_text(row, tz_name=tz_name)))
        text = _("Request to view {subject}: {decision}").format(
            subject=subject, decision=_("approved") if row.decision == APPROVED else _("ignored")
        )
    return text, blocks


def decision_text(row: AccessRequestRow, *, tz_name: str) -> str:
    """`:white_check_mark: Approved by @ada on <date>` (or Ignored)."""
    who = user_mention(row.decided_by or "") or _("someone")
    when = mrkdwn.date_token(row.decided_at or 0, fallback_tz=tz_name)
    if row.decision == APPROVED:
        return ":white_check_mark: " + _("Approved by {who} {when}").format(who=who, when=when)
    return ":no_entry: " + _("Ignored by {who} {when}").format(who=who, when=when)
