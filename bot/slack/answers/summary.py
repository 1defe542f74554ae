"""`/recordings summary CODE-OR-LINK`: one recording's AI minutes, to-dos and chapters, shown to
the asker alone, from the store (no Tencent call).

The recording is found by its meeting code (the newest recording of that code) or by a file's
share link. Who may see it is the rule transcript search applies (`ContentRepo.visible_to`):
admins and its host always (the host: the asker's linked Tencent userid, or their e-mail's
local part, as `mine` does); anyone else only when every file it still has is shared and none
is for participants only.
"""

from __future__ import annotations

from bot.i18n import N_, _
from bot.models import RecordFile, RecordMeeting
from bot.slack.answers.deps import Deps
from bot.slack.answers.said import viewer_for
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    NO_SUBJECT,
    BlockDict,
    context,
    header,
    notice,
)
from bot.slack.minutes import thread_reply_messages
from bot.slack.mrkdwn import date_token, escape, truncate
from bot.slack.parse import Summary
from bot.slack.users import UserFacts
from bot.store.content import KIND_MINUTES, STATE_OFF, Viewer

Answer = tuple[str, list[BlockDict]]

PARTICIPANTS_ONLY = N_(
    "This recording is for its participants only, so only its host and admins can see its summary."
)
SHARING_OFF = N_("Sharing is off for this recording, so I can't show its summary here.")
NO_FILES = N_("This recording has no files left (they were deleted), so it has no summary.")
AI_OFF = N_("AI features are off for this recording, so it has no summary.")
NOT_YET = N_(
    "The summary of this recording is not available yet: Tencent Meeting may still be making "
    "it. Please try again later."
)
CUT_NOTE = N_("This summary is long: the rest is in the thread of the recording's post.")


def _say(text: str) -> Answer:
    return text, notice(text)


def find_recording(deps: Deps, command: Summary) -> tuple[RecordMeeting | None, int]:
    """(the recording asked for or None, how many recordings share its meeting code)."""
    recordings = deps.store.recordings
    if command.link:
        return recordings.by_sharing_url(command.link), 1
    found = recordings.by_meeting_code(command.meeting_code or "")
    return (found[0] if found else None), len(found)


def refusal(deps: Deps, meeting: RecordMeeting, viewer: Viewer) -> str | None:
    """Why this viewer may not see the recording's summary (None: they may). The decision is
    the store's (the same as search's); the files only choose the words."""
    if deps.store.content.visible_to(viewer, meeting.meeting_record_id):
        return None
    files = meeting.record_files
    if any(f.required_participant for f in files):
        return _(PARTICIPANTS_ONLY)
    if not files:
        return _(NO_FILES)
    return _(SHARING_OFF)


def _file_blocks(deps: Deps, meeting: RecordMeeting, file: RecordFile) -> list[BlockDict]:
    content = deps.store.content
    minutes = content.get_minutes(file.record_file_id)
    chapters = content.get_chapters(file.record_file_id) or []
    messages = thread_reply_messages(minutes, chapters, subject=meeting.subject)
    blocks: list[BlockDict] = []
    for message in messages:
        blocks += [b for b in message["blocks"] if b.get("type") != "header"]
    return blocks


def _missing_text(deps: Deps, meeting: RecordMeeting) -> str:
    if not meeting.record_files:
        return _(NO_FILES)
    states = [
        status.state
        for f in meeting.record_files
        if (status := deps.store.content.status(f.record_file_id, KIND_MINUTES)) is not None
    ]
    if states and all(state == STATE_OFF for state in states):
        return _(AI_OFF)
    return _(NOT_YET)


def summary_answer(deps: Deps, facts: UserFacts, command: Summary) -> Answer:
    """(text, blocks) of the summary `command` asks for, or why it cannot be shown."""
    meeting, same_code = find_recording(deps, command)
    if meeting is None:
        what = (
            _("that share link")
            if command.link
            else _("meeting code {code}").format(code=command.meeting_code)
        )
        return _say(
            _(
                "I have no recording with {what}. It may still be in progress, or older than "
                "what the bot has synced."
            ).format(what=escape(what))
        )
    refused = refusal(deps, meeting, viewer_for(deps, facts))
    if refused:
        return _say(refused)
    files = meeting.record_files
    body: list[BlockDict] = []
    for number, file in enumerate(files, start=1):
        part = _file_blocks(deps, meeting, file)
        if part and len(files) > 1:
            body.append(context("*" + _("Part {number}").format(number=number) + "*"))
        body += part
    subject = escape(" ".join((meeting.subject or "").split()) or _(NO_SUBJECT))
    if not body:
        return _say(f"*{truncate(subject, 200)}*\n{_missing_text(deps, meeting)}")
    name = " ".join((meeting.subject or "").split()) or _(NO_SUBJECT)
    when = date_token(meeting.start_seconds, fallback_tz=facts.tz)
    about = _("host {userid}").format(userid=escape(meeting.userid)) + f" · {when}"
    if command.meeting_code and same_code > 1:
        about += " · " + _("the newest of {count} recordings with this code").format(
            count=same_code
        )
    blocks = [header(_("Summary: {subject}").format(subject=name)), context(about)]
    room = MAX_BLOCKS - len(blocks)
    if len(body) > room:
        body = [*body[: room - 1], context(_(CUT_NOTE))]
    blocks += body
    return truncate(_("Summary of {subject}").format(subject=subject), MAX_MESSAGE_TEXT), blocks
