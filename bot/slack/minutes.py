"""The thread replies carrying a recording's AI minutes, to-dos and chapters (pure Block Kit).

`thread_reply_messages` gives the messages to post, in order, in the thread of the recording's
post; `parent_summary_note` the context block the parent gains once they are there.

Limits kept: a section's text <= 3000 characters, a header <= 150, <= 50 blocks a message, and
a message's sections hold at most `message_chars` characters together (long minutes are easier
to read, and safer to post, as several messages). Long minutes are cut between paragraphs, else
between lines, else at a sentence end or a space (see bot.slack.markdown.split_line), never
inside a formatting pair, a link or an escape; each message of several is marked (i/n).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.i18n import _
from bot.meeting_content import Chapter, Minutes
from bot.slack import markdown
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_SECTION_TEXT,
    NO_SUBJECT,
    BlockDict,
    context,
    header,
)
from bot.slack.mrkdwn import escape, link, truncate

MESSAGE_CHARS = 12_000  # section text per message; Slack itself folds long messages
MAX_FALLBACK = 300
MAX_CHAPTER_NAME = 300
SUMMARY_NOTE_BLOCK_ID = "summary-in-thread"
DIVIDER: BlockDict = {"type": "divider"}

Message = dict[str, Any]  # {"text": fallback, "blocks": [...]}


def offset_text(ms: int | float) -> str:
    """A time into a recording: 0:42, 12:05, 1:02:03 (negative counts as 0)."""
    seconds = max(0, int(ms) // 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


# --------------------------------------------------------------------------- text -> sections
def section_texts(
    paragraphs: Iterable[markdown.Paragraph], limit: int = MAX_SECTION_TEXT
) -> list[str]:
    """The paragraphs as mrkdwn texts of at most `limit` characters each.

    Whole paragraphs are packed together (a blank line between them); a paragraph too long for
    one text is cut between lines, a line too long at a sentence or a space.
    """
    pieces = _glued([(p, _pieces(p, limit)) for p in paragraphs], limit)
    texts: list[str] = []
    current = ""
    for piece, separator in pieces:
        joined = f"{current}{separator}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            texts.append(current)
            current = piece
    if current:
        texts.append(current)
    return texts


def _glued(
    parts: list[tuple[markdown.Paragraph, list[tuple[str, str]]]], limit: int
) -> list[tuple[str, str]]:
    """The pieces in order, a paragraph of headings only joined to the piece after it (when
    they fit together), so a heading never ends a section apart from what it heads."""
    out: list[tuple[str, str]] = []
    pending: tuple[str, str] | None = None
    for paragraph, pieces in parts:
        for piece, separator in pieces:
            if pending is not None:
                joined = f"{pending[0]}\n\n{piece}"
                if len(joined) <= limit:
                    piece, separator = joined, pending[1]
                else:
                    out.append(pending)
                pending = None
            if all(line.heading for line in paragraph.lines) and len(pieces) == 1:
                pending = (piece, separator)
            else:
                out.append((piece, separator))
    if pending is not None:
        out.append(pending)
    return out


def _pieces(paragraph: markdown.Paragraph, limit: int) -> list[tuple[str, str]]:
    """(text, separator before it) of one paragraph, each text within `limit`."""
    whole = markdown.render_paragraph(paragraph)
    if len(whole) <= limit:
        return [(whole, "\n\n")]
    fence = "```\n", "\n```"
    overhead = len(fence[0]) + len(fence[1]) if paragraph.code else 0
    groups: list[str] = []
    current: str | None = None
    for line in paragraph.lines:
        for piece in markdown.split_line(line, limit, overhead=overhead):
            joined = piece if current is None else f"{current}\n{piece}"
            if len(joined) + overhead <= limit:
                current = joined
            else:
                if current is not None:
                    groups.append(current)
                current = piece
    if current is not None:
        groups.append(current)
    if paragraph.code:
        groups = [f"{fence[0]}{group}{fence[1]}" for group in groups]
    return [(group, "\n\n" if index == 0 else "\n") for index, group in enumerate(groups)]


def _has_body(paragraphs: list[markdown.Paragraph]) -> bool:
    return any(not line.heading for p in paragraphs for line in p.lines)


def _labelled(paragraphs: list[markdown.Paragraph], label: str) -> list[markdown.Paragraph]:
    """Start with a bold `label` line unless the text opens with a heading of its own."""
    if paragraphs and paragraphs[0].lines[0].heading:
        return paragraphs
    title = markdown.Line((markdown.Run(label, bold=True),), heading=True)
    return [markdown.Paragraph((title,)), *paragraphs]


def chapter_lines(chapters: Sequence[Chapter]) -> list[markdown.Paragraph]:
    """`*Chapters*` then one line per chapter, earliest first: `` `12:05` `` name."""
    ordered = sorted(chapters, key=lambda c: c.start_ms)
    lines = [markdown.Line((markdown.Run(_("Chapters"), bold=True),), heading=True)]
    for chapter in ordered:
        name = " ".join(markdown.clean(chapter.name or "").split()) or _("(untitled)")
        name = truncate(name, MAX_CHAPTER_NAME)
        time = markdown.Run(offset_text(chapter.start_ms), code=True)
        lines.append(markdown.Line((time, markdown.Run(" " + name)), "", "    ", item=True))
    return [markdown.Paragraph(tuple(lines))]


# --------------------------------------------------------------------------- messages
def thread_reply_messages(
    minutes: Minutes | None,
    chapters: Sequence[Chapter],
    *,
    subject: str,
    message_chars: int = MESSAGE_CHARS,
) -> list[Message]:
    """The messages for the recording's thread: minutes, to-dos, chapters ([] if none at all).

    Each message is {"text": a short fallback, "blocks": [...]}; post them in order.
    """
    summary = markdown.parse(minutes.minute if minutes else "")
    todos = markdown.parse(minutes.todo if minutes else "", bullets=True)
    chapter_part = chapter_lines(chapters) if chapters else []
    has_summary, has_todos = _has_body(summary), _has_body(todos)
    if not (has_summary or has_todos or chapter_part):
        return []

    parts: list[list[BlockDict]] = []  # each: the blocks of one topic, in order
    if has_summary:
        parts.append(_sections(_labelled(summary, _("Summary"))))
    if has_todos:
        parts.append(_sections(_labelled(todos, _("To-dos"))))
    elif has_summary:
        parts.append([context(_("No to-dos were noted."))])
    if chapter_part:
        parts.append(_sections(chapter_part))

    content: list[BlockDict] = []
    for part in parts:
        if content:
            content.append(DIVIDER)
        content.extend(part)
    pages = _paginate(content, message_chars=max(MAX_SECTION_TEXT, message_chars))
    return [_message(page, subject, index, len(pages)) for index, page in enumerate(pages)]


def _sections(paragraphs: list[markdown.Paragraph]) -> list[BlockDict]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        for text in section_texts(paragraphs)
    ]


def _paginate(content: list[BlockDict], *, message_chars: int) -> list[list[BlockDict]]:
    """Blocks into messages: <= MAX_BLOCKS - 1 each (one for the header), <= message_chars."""
    room = MAX_BLOCKS - 1
    pages: list[list[BlockDict]] = []
    page: list[BlockDict] = []
    chars = 0
    for block in content:
        size = len(block.get("text", {}).get("text", ""))
        if page and (len(page) + 1 > room or chars + size > message_chars):
            pages.append(page)
            page, chars = [], 0
        if not page and block["type"] == "divider":
            continue
        page.append(block)
        chars += size
    if page:
        pages.append(page)
    for page in pages:
        while page and page[-1]["type"] == "divider":
            page.pop()
    return [page for page in pages if page]


def _message(page: list[BlockDict], subject: str, index: int, count: int) -> Message:
    mark = f" ({index + 1}/{count})" if count > 1 else ""
    name = " ".join(markdown.clean(subject or "").split()) or _(NO_SUBJECT)
    title = truncate(_("Minutes: {subject}").format(subject=name), MAX_HEADER - len(mark)) + mark
    text = (
        truncate(_("Minutes of {subject}").format(subject=escape(name)), MAX_FALLBACK - len(mark))
        + mark
    )
    return {"text": text, "blocks": [header(title), *page]}


# --------------------------------------------------------------------------- the parent post
def parent_summary_note(permalink: str | None = None) -> BlockDict:
    """The context block added to the recording's post once its minutes are in the thread.

    `permalink` (the first reply's, from chat.getPermalink) makes "in the thread" a link.
    It carries block_id SUMMARY_NOTE_BLOCK_ID: see `with_summary_note`.
    """
    where = link(permalink, _("in the thread")) if permalink else _("in the thread")
    if len(where) > 1000:
        where = _("in the thread")
    block = context(":memo: " + _("Summary, to-dos and chapters are {where}.").format(where=where))
    block["block_id"] = SUMMARY_NOTE_BLOCK_ID
    return block


def with_summary_note(blocks: list[BlockDict], note: BlockDict) -> list[BlockDict]:
    """The parent's blocks with `note` at the end, once (an earlier note is replaced).

    A post already at MAX_BLOCKS gives up its last block to the note.
    """
    kept = [b for b in blocks if b.get("block_id") != note.get("block_id")]
    return [*kept[: MAX_BLOCKS - 1], note]
