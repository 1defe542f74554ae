"""Pure BlockDict Kit rendering of recordings: plain dicts ready for `blocks=`.

Rules kept everywhere here:
- every string from the Tencent API is escaped in mrkdwn (plain_text is never parsed by Slack,
  so it carries the raw text, cut to its limit);
- no download or view address ever goes into a message (they expire; the Download button
  fetches a fresh one when clicked); a password only under the "show" policy, and only when
  the store kept it (PASSWORD_KEY): otherwise "show" gives the Show password button;
- BlockDict Kit limits hold (50 blocks, 25 elements per actions block, 3000 chars per section, ...).

Button values are `"<meeting_record_id>:<record_file_id>"` (see `action_value`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from bot.i18n import N_, _, language, ngettext
from bot.models import PASSWORD_POLICIES, RecordFile, RecordMeeting
from bot.slack import mrkdwn
from bot.slack.mrkdwn import drop_controls, escape, truncate

COMMAND = "/recordings"
METADATA_EVENT_TYPE = "tencent_recording_posted"
POLICY_SHOW, POLICY_BUTTON, POLICY_HIDE = PASSWORD_POLICIES

ACTION_SHOW_PASSWORD = "show_password"  # noqa: S105 (an action id)
ACTION_DOWNLOAD = "download"
ACTION_MORE = "more_results"
ACTION_WATCH = "watch"

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_MESSAGE_TEXT = 3000  # our fallback texts stay short; Slack cuts at 40,000
MAX_LIST_PAGE_SIZE = 20  # 2 blocks per recording + header, context, "More" stay <= 50
MAX_SUBJECT_IN_LINE = 200

DEFAULT_EMPTY_HINT = N_(
    "Try a wider range, e.g. `{command} week` or `{command} 30d`, "
    "or `{command} help` for every form."
)
NO_SUBJECT = N_("(no subject)")

BlockDict = dict[str, Any]


# --------------------------------------------------------------------------- small builders
def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (never parsed by Slack, but control characters dropped)."""
    return {
        "type": "plain_text",
        "text": truncate(drop_controls(text), limit) or " ",
        "emoji": True,
    }


def md(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit) or " "}


def section(text: str) -> BlockDict:
    return {"type": "section", "text": md(text)}


def context(*texts: str) -> BlockDict:
    return {"type": "context", "elements": [md(t, MAX_CONTEXT_TEXT) for t in texts[:10]]}


def header(text: str) -> BlockDict:
    return {"type": "header", "text": plain(text, MAX_HEADER)}


def button(
    label: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
) -> BlockDict:
    element: BlockDict = {"type": "button", "text": plain(label, 75), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style:
        element["style"] = style
    return element


def actions(elements: list[BlockDict], block_id: str | None = None) -> BlockDict | None:
    if not elements:
        return None
    block: BlockDict = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def notice(text: str) -> list[BlockDict]:
    """A single section for a short answer; `text` must already be mrkdwn-safe."""
    return [section(text)]


# --------------------------------------------------------------------------- values & metadata
def action_value(meeting_record_id: str, record_file_id: str) -> str | None:
    """The value of a Show password / Download button (None when it would be too long)."""
    value = f"{meeting_record_id}:{record_file_id}"
    return value if len(value) <= MAX_BUTTON_VALUE else None


def parse_action_value(value: str) -> tuple[str, str]:
    """(meeting_record_id, record_file_id) from a button value; ValueError if malformed."""
    meeting_record_id, sep, record_file_id = (value or "").partition(":")
    if not sep or not meeting_record_id or not record_file_id:
        raise ValueError("malformed button value")
    return meeting_record_id, record_file_id


def files_signature(meeting: RecordMeeting) -> str:
    """A stable hash of the sorted record file ids and the state: changes when a post is stale."""
    ids = sorted(f.record_file_id for f in meeting.record_files)
    shown: dict[str, Any] = {"files": ids, "state": meeting.state}
    if meeting.deleted:
        shown["deleted"] = True
    raw = json.dumps(shown, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def recording_metadata(meeting: RecordMeeting) -> dict[str, Any]:
    """Message metadata that lets a later run find (and update) the post of a recording."""
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {
            "meeting_record_id": meeting.meeting_record_id,
            "files_signature": files_signature(meeting),
        },
    }


# --------------------------------------------------------------------------- pieces
def host_text(meeting: RecordMeeting, host_name: str | None, host_user_id: str | None) -> str:
    mention = mrkdwn.user_mention(host_user_id) if host_user_id else None
    if mention:
        return mention
    return escape(host_name or meeting.userid or _("unknown"))


def state_text(meeting: RecordMeeting) -> str:
    icons = {"ready": ":white_check_mark:", "transcoding": ":hourglass_flowing_sand:"}
    name = meeting.state_name
    return f"{icons.get(name, ':red_circle:')} {escape(state_label(meeting))}"


def state_label(meeting: RecordMeeting) -> str:
    """The recording's state in words: ready, transcoding, recording."""
    labels = {"ready": _("ready"), "transcoding": _("transcoding"), "recording": _("recording")}
    return labels.get(meeting.state_name) or _("state {state}").format(state=meeting.state)


def watch_url(file: RecordFile) -> str | None:
    url = file.sharing_url or ""
    ok = file.shared and url.lower().startswith(("https://", "http://"))
    return url if ok and len(url) <= MAX_BUTTON_URL else None


def _downloadable(file: RecordFile, download: bool) -> bool:
    return download and file.allow_download is True


def _access_note(file: RecordFile, tz_name: str) -> str | None:
    notes = []
    if file.required_same_corp:
        notes.append(_("colleagues only"))
    if file.required_participant:
        notes.append(_("participants only"))
    if file.sharing_expire:
        expire = mrkdwn.date_token(file.sharing_expire // 1000, fallback_tz=tz_name)
        notes.append(_("link expires {when}").format(when=expire))
    return _("Link: {notes}").format(notes=_(", ").join(notes)) if notes else None


def _file_buttons(
    meeting: RecordMeeting, file: RecordFile, *, password_policy: str, download: bool
) -> list[BlockDict]:
    elements: list[BlockDict] = []
    url = watch_url(file)
    if url:
        elements.append(button(_("Watch"), ACTION_WATCH, url=url, style="primary"))
    value = action_value(meeting.meeting_record_id, file.record_file_id)
    # `show` without the password at hand (no PASSWORD_KEY, or unreadable) is a button instead.
    as_button = password_policy == POLICY_BUTTON or (
        password_policy == POLICY_SHOW and not file.password
    )
    if value and as_button and file.has_password:
        elements.append(button(_("Show password"), ACTION_SHOW_PASSWORD, value=value))
    if value and _downloadable(file, download):
        elements.append(button(_("Download"), ACTION_DOWNLOAD, value=value))
    return elements


def _file_notes(file: RecordFile, *, password_policy: str, tz_name: str) -> list[str]:
    notes = []
    if not watch_url(file):
        notes.append(_(":lock: Sharing is off for this recording; ask the host to turn it on."))
    else:
        access = _access_note(file, tz_name)
        if access:
            notes.append(access)
    if password_policy == POLICY_SHOW and file.password:
        notes.append(_("Password: {password}").format(password=escape(file.password)))
    return notes


def _check_policy(password_policy: str) -> None:
    if password_policy not in PASSWORD_POLICIES:
        raise ValueError(f"password_policy must be one of {', '.join(PASSWORD_POLICIES)}")


# --------------------------------------------------------------------------- channel post
def recording_message(
    meeting: RecordMeeting,
    *,
    password_policy: str = POLICY_BUTTON,
    download: bool = False,
    tz_name: str = "Asia/Shanghai",
    host_name: str | None = None,
    host_user_id: str | None = None,
) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) announcing one recording in a channel.

    `host_user_id` (a linked Slack user) is shown as a mention instead of `host_name`.
    """
    _check_policy(password_policy)
    if meeting.deleted:
        return deleted_message(meeting, tz_name=tz_name)
    subject = meeting.subject or _(NO_SUBJECT)
    start = meeting.start_seconds
    fields = [
        "*" + _("Host") + f"*\n{host_text(meeting, host_name, host_user_id)}",
        "*" + _("Meeting code") + f"*\n{escape(meeting.meeting_code)}",
        "*" + _("Start") + f"*\n{mrkdwn.date_token(start, fallback_tz=tz_name)}",
        "*" + _("Duration") + f"*\n{mrkdwn.duration(meeting.duration_seconds)}",
        "*" + _("Size") + f"*\n{mrkdwn.size(meeting.total_size)}",
        "*" + _("State") + f"*\n{state_text(meeting)}",
    ]
    blocks: list[BlockDict] = [
        header(_("Recording: {subject}").format(subject=subject)),
        {"type": "section", "fields": [md(f, MAX_FIELD_TEXT) for f in fields]},
    ]
    files = meeting.record_files
    if not files:
        blocks.append(context(_("No record files yet; this post is updated when they are ready.")))
    several = len(files) > 1
    room = MAX_BLOCKS - len(blocks) - 1  # keep one block for "... and N more parts"
    for index, file in enumerate(files):
        part = _file_blocks(
            meeting,
            file,
            index=index,
            several=several,
            password_policy=password_policy,
            download=download,
            tz_name=tz_name,
        )
        if len(part) > room:
            left = len(files) - index
            blocks.append(
                context(
                    ngettext(
                        "… and {count} more part not shown.",
                        "… and {count} more parts not shown.",
                        left,
                    ).format(count=left)
                )
            )
            break
        blocks.extend(part)
        room -= len(part)
    what = _("Recording ready") if meeting.done else _("Recording {state}")
    text = _("{what}: {subject} ({when}, {duration})").format(
        what=what.format(state=state_label(meeting)),
        subject=truncate(escape(subject), MAX_SUBJECT_IN_LINE),
        when=mrkdwn.local_time(start, tz_name),
        duration=mrkdwn.duration(meeting.duration_seconds),
    )
    return text, blocks


def deleted_message(meeting: RecordMeeting, *, tz_name: str) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) of a recording deleted in Tencent Meeting: what it was, that it
    is gone, and no button (its links lead nowhere now)."""
    subject = meeting.subject or _(NO_SUBJECT)
    start = meeting.start_seconds
    blocks: list[BlockDict] = [
        header(_("Recording deleted: {subject}").format(subject=subject)),
        section(
            "*" + _("Host") + f"* {host_text(meeting, None, None)} · "
            "*" + _("Start") + f"* {mrkdwn.date_token(start, fallback_tz=tz_name)}"
        ),
        context(_(":wastebasket: This recording was deleted in Tencent Meeting.")),
    ]
    text = _("Recording deleted: {subject} ({when})").format(
        subject=truncate(escape(subject), MAX_SUBJECT_IN_LINE),
        when=mrkdwn.local_time(start, tz_name),
    )
    return text, blocks


def _file_blocks(
    meeting: RecordMeeting,
    file: RecordFile,
    *,
    index: int,
    several: bool,
    password_policy: str,
    download: bool,
    tz_name: str,
) -> list[BlockDict]:
    out: list[BlockDict] = []
    if several:
        start = mrkdwn.date_token(file.record_start_time // 1000, "{time}", tz_name)
        part = _("Part {number}").format(number=index + 1)
        out.append(
            section(
                f"*{part}* · {start} · {mrkdwn.duration(file.duration_seconds)}"
                f" · {mrkdwn.size(file.record_size)}"
            )
        )
    notes = _file_notes(file, password_policy=password_policy, tz_name=tz_name)
    if notes:
        out.append(context(*notes))
    buttons = _file_buttons(meeting, file, password_policy=password_policy, download=download)
    block = actions(buttons, block_id=f"file-{index}")
    if block:
        out.append(block)
    return out


# --------------------------------------------------------------------------- /recordings list
def recordings_list(
    meetings: list[RecordMeeting],
    *,
    title: str,
    tz_name: str,
    page: int = 0,
    page_size: int = 10,
    more_value: str | None = None,
    empty_hint: str | None = None,
    download: bool = True,
    password_hidden: Callable[[RecordMeeting], bool] | None = None,
) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) answering `/recordings`.

    `meetings` is the whole result; this renders page `page` of `page_size` (at most
    MAX_LIST_PAGE_SIZE) and a "More" button carrying `more_value` when more follow.
    `download=False` hides Download buttons (e.g. for guests); `password_hidden(meeting)`
    True leaves out a recording's "Show password" button (its routes say `password:hide`).
    """
    if empty_hint is None:
        empty_hint = _(DEFAULT_EMPTY_HINT).format(command=COMMAND)
    page_size = max(1, min(page_size, MAX_LIST_PAGE_SIZE))
    total = len(meetings)
    start = max(0, page) * page_size
    shown = meetings[start : start + page_size]
    blocks: list[BlockDict] = [header(title)]
    if not shown:
        what = _("No recordings found.") if total == 0 else _("No more recordings.")
        blocks.append(section(f"{what} {empty_hint}".strip()))
        return truncate(f"{escape(title)}: {what}", MAX_MESSAGE_TEXT), blocks

    summary = ngettext("{count} recording", "{count} recordings", total).format(count=total)
    if total > len(shown):
        summary += " · " + _("showing {first}–{last}").format(
            first=start + 1, last=start + len(shown)
        )
    blocks.append(context(summary + " · " + _("times in your time zone")))
    for offset, meeting in enumerate(shown):
        hide = password_hidden is not None and password_hidden(meeting)
        blocks.extend(
            _list_item(
                meeting, index=start + offset, tz_name=tz_name, download=download, password=not hide
            )
        )
    has_more = start + len(shown) < total
    if has_more and more_value:
        left = total - start - len(shown)
        more = button(_("More ({count} left)").format(count=left), ACTION_MORE, value=more_value)
        blocks.append(actions([more], block_id="more"))
    elif has_more:
        blocks.append(context(_("More recordings match; narrow the range to see them.")))
    return truncate(f"{escape(title)}: {summary}", MAX_MESSAGE_TEXT), blocks


def subject_text(meeting: RecordMeeting, limit: int = MAX_SUBJECT_IN_LINE) -> str:
    """The recording's subject for a mrkdwn line: escaped, cut to `limit` characters."""
    return truncate(escape(meeting.subject or _(NO_SUBJECT)), limit)


def _list_item(
    meeting: RecordMeeting, *, index: int, tz_name: str, download: bool, password: bool = True
) -> list[BlockDict]:
    subject = subject_text(meeting)
    details = [
        _("host {userid}").format(userid=escape(meeting.userid)),
        mrkdwn.date_token(meeting.start_seconds, fallback_tz=tz_name),
        *([mrkdwn.duration(meeting.duration_seconds)] if meeting.record_files else []),
        state_text(meeting),
    ]
    links = []
    shared = [f for f in meeting.record_files if watch_url(f)]
    for number, file in enumerate(shared[:5], start=1):
        label = _("Watch") if len(shared) == 1 else _("Part {number}").format(number=number)
        links.append(mrkdwn.link(file.sharing_url or "", label))
    if meeting.record_files and not shared:
        links.append(_("sharing is off"))
    text = f"*{subject}*\n" + " · ".join(details)
    if links:
        text += "\n" + " · ".join(links)
    blocks: list[BlockDict] = [section(text)]
    elements = []
    with_password = next((f for f in meeting.record_files if f.has_password), None)
    if with_password and password:
        value = action_value(meeting.meeting_record_id, with_password.record_file_id)
        if value:
            elements.append(button(_("Show password"), ACTION_SHOW_PASSWORD, value=value))
    downloadable = next((f for f in meeting.record_files if _downloadable(f, download)), None)
    if downloadable:
        value = action_value(meeting.meeting_record_id, downloadable.record_file_id)
        if value:
            elements.append(button(_("Download"), ACTION_DOWNLOAD, value=value))
    block = actions(elements, block_id=f"rec-{index}")
    if block:
        blocks.append(block)
    return blocks


# --------------------------------------------------------------------------- help
# Each language's help lists that language's words (both work in either language).
_USER_HELP = {
    "en": [
        ("today", "recordings that started today"),
        ("yesterday", "yesterday's recordings"),
        ("week", "this week (also `this week`)"),
        ("last week", "the whole of last week"),
        ("7d", "the last 7 days (also `30d`, any number of days)"),
        ("2026-11-20", "one day"),
        ("2026-11-01..2026-11-20", "a range of days"),
        (
            "search WORD...",
            "subjects containing every word, and where they were said in transcripts "
            "(add a range: `search standup 30d`)",
        ),
        (
            "summary MEETING_CODE",
            "one recording's AI minutes, to-dos and chapters (or give its share link "
            "`https://meeting.tencent.com/...`)",
        ),
        ("host USERID", "recordings hosted by a Tencent Meeting user id"),
        ("mine", "recordings you hosted (needs your Slack user linked)"),
        ("help", "this help"),
    ],
    "zh": [
        ("今天", "今天开始的录制"),
        ("昨天", "昨天的录制"),
        ("本周", "本周的录制"),
        ("上周", "上周一整周的录制"),
        ("最近7天", "最近 7 天（也可以是 `最近30天`，任意天数）"),
        ("2026-11-20", "某一天"),
        ("2026-11-01..2026-11-20", "一段日期"),
        (
            "搜索 关键词...",
            "主题包含所有关键词的录制，以及转写中说到它们的地方（可加时间段：`搜索 周会 30天`）",
        ),
        (
            "纪要 会议号",
            "某个录制的 AI 纪要、待办和章节（也可以给出分享链接 `https://meeting.tencent.com/...`）",
        ),
        ("主持人 USERID", "某个腾讯会议用户 ID 主持的录制"),
        ("我的", "你主持的录制（需要管理员关联你的 Slack 账号）"),
        ("帮助", "本帮助"),
    ],
}

_ADMIN_HELP = {
    "en": [
        (
            "route add #channel [host:USERID] [subject:WORD] [subject~REGEX] [code:MEETING_CODE] "
            "[password:show|button|hide] [download:on|off]",
            "post matching recordings into a channel",
        ),
        ("route list", "show every route with its id"),
        ("route remove ID", "delete a route"),
        ("route default #channel", "where recordings that match no route go"),
        ("link @user USERID", "link a Slack user to a Tencent Meeting user id"),
        ("status", "poller, quota and delivery health"),
    ],
    "zh": [
        (
            "路由 添加 #频道 [host:USERID] [subject:关键词] [subject~正则] [code:会议号] "
            "[password:show|button|hide] [download:on|off]",
            "把匹配的录制发到一个频道",
        ),
        ("路由 列表", "列出所有路由及其编号"),
        ("路由 删除 编号", "删除一条路由"),
        ("路由 默认 #频道", "没有路由匹配的录制发往哪里"),
        ("关联 @用户 USERID", "把 Slack 用户关联到腾讯会议用户 ID"),
        ("状态", "轮询、配额和投递的健康状况"),
    ],
}


def _help_lines(items: list[tuple[str, str]]) -> str:
    return "\n".join(f"• `{COMMAND} {form}` — {what}" for form, what in items)


def help_blocks(is_admin: bool) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) explaining every form of the command, in the context's
    language with that language's words."""
    lang = language()
    blocks: list[BlockDict] = [
        header(_("Tencent Meeting recordings")),
        section("*" + _("Find recordings") + "*\n" + _help_lines(_USER_HELP[lang])),
        context(_("Answers are visible only to you. Times are shown in your own time zone.")),
    ]
    if is_admin:
        blocks.append({"type": "divider"})
        blocks.append(
            section(
                "*"
                + _("Admin")
                + "*\n"
                + _help_lines(_ADMIN_HELP[lang])
                + "\n"
                + _("Or use the forms in the app's Home tab.")
            )
        )
    words = {"en": ("today", "week", "help"), "zh": ("今天", "本周", "帮助")}[lang]
    text = _("How to use {command}: {examples}").format(
        command=COMMAND, examples=", ".join(f"{COMMAND} {w}" for w in words)
    )
    return text, blocks
