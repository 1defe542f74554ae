"""Unfurls: the card Slack shows under a pasted Tencent Meeting share link the store knows.

Everyone in the conversation sees an unfurl, so the card holds what the link itself already
gives away (subject, host, start, duration, state) and the Watch button: never a password, a
summary or a download address.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.models import RecordFile, RecordMeeting
from bot.slack import mrkdwn
from bot.slack.blocks import (
    ACTION_WATCH,
    MAX_FIELD_TEXT,
    NO_SUBJECT,
    actions,
    button,
    context,
    deleted_message,
    header,
    host_text,
    md,
    state_text,
    watch_url,
)

MAX_UNFURLS = 10  # links answered per message (Slack sends a few at most)


def _file_at(meeting: RecordMeeting, url: str) -> RecordFile | None:
    bare = url.rstrip("/")
    for file in meeting.record_files:
        if (file.sharing_url or "").rstrip("/") == bare:
            return file
    return None


def unfurl_card(meeting: RecordMeeting, url: str, *, tz_name: str) -> dict[str, Any]:
    """The `chat.unfurl` entry for `url`, one of `meeting`'s share links."""
    if meeting.deleted:  # as its channel messages say it (no button: nothing to watch)
        return {"blocks": deleted_message(meeting, tz_name=tz_name)[1]}
    subject = meeting.subject or _(NO_SUBJECT)
    start = meeting.start_seconds
    fields = [
        "*" + _("Host") + f"*\n{host_text(meeting, None, None)}",
        "*" + _("Start") + f"*\n{mrkdwn.date_token(start, fallback_tz=tz_name)}",
        "*" + _("Duration") + f"*\n{mrkdwn.duration(meeting.duration_seconds)}",
        "*" + _("State") + f"*\n{state_text(meeting)}",
    ]
    blocks: list[dict[str, Any]] = [
        header(_("Recording: {subject}").format(subject=subject)),
        {"type": "section", "fields": [md(f, MAX_FIELD_TEXT) for f in fields]},
    ]
    file = _file_at(meeting, url)
    link = watch_url(file) if file is not None else None
    watch = actions([button(_("Watch"), ACTION_WATCH, url=link, style="primary")]) if link else None
    blocks.append(watch or context(_("Sharing is off for this recording.")))
    return {"blocks": blocks}
