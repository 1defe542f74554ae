"""`/recordings search` hits inside what was said: one section per hit (pure Block Kit).

Each hit shows the meeting's subject, when it was held (when known), the speaker, the time into
the recording and a short snippet with the matched words in bold. The store marks each match in
the snippet as HIT_START + word + HIT_END (bot.meeting_content); everything else is escaped and
made inert like the minutes (bot.slack.markdown).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from bot.i18n import _, ngettext
from bot.meeting_content import HIT_END, HIT_START
from bot.slack import markdown
from bot.slack.blocks import (
    ACTION_MORE,
    MAX_BLOCKS,
    MAX_MESSAGE_TEXT,
    MAX_SUBJECT_IN_LINE,
    NO_SUBJECT,
    BlockDict,
    actions,
    button,
    context,
    header,
    section,
)
from bot.slack.minutes import offset_text
from bot.slack.mrkdwn import ELLIPSIS, date_token, escape, truncate

MAX_SNIPPET = 300  # characters of transcript around the match
MAX_SPEAKER = 80
MAX_HITS_SHOWN = MAX_BLOCKS - 3  # header, context and the More button

_ELLIPSES = ("…", "...", "⋯")


class TranscriptHit(Protocol):
    """What a search hit must offer (the store's hit type fits it by its attributes).

    Optional attributes, read when present: `meeting_start_seconds` (unix seconds, shown as a
    date), `cut_start` / `cut_end` (True when the snippet starts / ends inside the paragraph;
    an ellipsis at either end of `snippet` means the same).
    """

    subject: str
    speaker_name: str
    start_ms: int
    snippet: str


def snippet_runs(
    snippet: str, *, limit: int = MAX_SNIPPET, cut_start: bool = False, cut_end: bool = False
) -> tuple[markdown.Run, ...]:
    """The snippet as runs: matches bold, an ellipsis where it is cut, within ~`limit` chars."""
    pieces = _marked(snippet)
    text = "".join(t for t, _ in pieces)
    flags = [bold for piece, bold in pieces for _char in piece]
    lead = len(text) - len(text.lstrip())
    text_start, text_end = lead, len(text.rstrip())
    for mark in _ELLIPSES:  # an ellipsis the store put there: ours replaces it
        if text[text_start:text_end].startswith(mark) and not flags[text_start]:
            text_start, cut_start = text_start + len(mark), True
        if text[text_start:text_end].endswith(mark) and not flags[text_end - 1]:
            text_end, cut_end = text_end - len(mark), True
    if text_end - text_start > limit:  # keep a window around the first match
        first = next((i for i in range(text_start, text_end) if flags[i]), text_start)
        begin = max(text_start, min(first - limit // 3, text_end - limit))
        cut_start = cut_start or begin > text_start
        cut_end = cut_end or begin + limit < text_end
        text_start, text_end = begin, begin + limit
    runs: list[markdown.Run] = []
    if cut_start:
        runs.append(markdown.Run(ELLIPSIS))
    offset = 0
    for piece, bold in pieces:
        a, b = max(text_start, offset), min(text_end, offset + len(piece))
        if a < b:
            runs.append(markdown.Run(piece[a - offset : b - offset], bold=bold))
        offset += len(piece)
    if cut_end:
        runs.append(markdown.Run(ELLIPSIS))
    return tuple(markdown.merge(runs))


def _marked(snippet: str) -> list[tuple[str, bool]]:
    """(text, matched) pieces; stray markers dropped, whitespace made single spaces."""
    pieces: list[tuple[str, bool]] = []
    matched = False
    for part in re.split(f"([{re.escape(HIT_START)}{re.escape(HIT_END)}])", snippet or ""):
        if part == HIT_START:
            matched = True
        elif part == HIT_END:
            matched = False
        elif part:
            text = re.sub(r"\s+", " ", markdown.clean(part))
            if text:
                pieces.append((text, matched))
    return pieces


def snippet_text(snippet: str, **kwargs: object) -> str:
    """The snippet as mrkdwn (see `snippet_runs`)."""
    return markdown.render_runs(snippet_runs(snippet, **kwargs))  # type: ignore[arg-type]


def hit_text(hit: TranscriptHit, *, tz_name: str = "Asia/Shanghai") -> str:
    """The mrkdwn of one hit: subject and date, speaker and time, then the snippet as a quote."""
    subject = " ".join(markdown.clean(hit.subject or "").split()) or _(NO_SUBJECT)
    first = f"*{truncate(markdown.inert(subject), MAX_SUBJECT_IN_LINE)}*"
    started = getattr(hit, "meeting_start_seconds", None)
    if isinstance(started, int | float) and started > 0:
        first += f" · {date_token(started, fallback_tz=tz_name)}"
    speaker = " ".join(markdown.clean(hit.speaker_name or "").split())
    who = truncate(markdown.inert(speaker), MAX_SPEAKER) if speaker else _("_Unknown speaker_")
    second = ":speaking_head_in_silhouette: " + _("{who} at {offset}").format(
        who=who, offset=f"`{offset_text(hit.start_ms)}`"
    )
    quote = snippet_text(
        hit.snippet,
        cut_start=bool(getattr(hit, "cut_start", False)),
        cut_end=bool(getattr(hit, "cut_end", False)),
    )
    return f"{first}\n{second}" + (f"\n> {quote}" if quote else "")


def transcript_hit_blocks(
    hits: Sequence[TranscriptHit],
    *,
    title: str,
    tz_name: str = "Asia/Shanghai",
    offset: int = 0,
    total: int | None = None,
    more_value: str | None = None,
    empty_hint: str | None = None,
) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) answering `/recordings search` with hits in transcripts.

    `hits` is one page, newest first, starting at result number `offset`; `total` is the whole
    count when known; `more_value` (given when more follow) goes on the More button.
    """
    shown = list(hits)[:MAX_HITS_SHOWN]
    if empty_hint is None:
        empty_hint = _("Try other words, fewer words, or a wider range.")
    title = " ".join(markdown.clean(title).split()) or _("Search")
    blocks: list[BlockDict] = [header(title)]
    if not shown:
        blocks.append(section(_("Nothing said matches.") + f"\n{escape(empty_hint)}"))
        return truncate(f"{escape(title)}: " + _("no matches"), MAX_MESSAGE_TEXT), blocks
    first, last = offset + 1, offset + len(shown)
    count = (
        ngettext("{count} hit", "{count} hits", total).format(count=total)
        if total is not None
        else _("Hits")
    )
    summary = (
        count
        + " · "
        + _("showing {first}–{last} · newest first · times into the recording").format(
            first=first, last=last
        )
    )
    blocks.append(context(summary))
    blocks.extend(section(hit_text(hit, tz_name=tz_name)) for hit in shown)
    if more_value:
        label = (
            _("More ({count} left)").format(count=total - last)
            if total is not None and total > last
            else _("More")
        )
        block = actions([button(label, ACTION_MORE, value=more_value)], "more")
        if block:
            blocks.append(block)
    said = _("{count} in what was said").format(count=count)
    return truncate(f"{escape(title)}: {said}", MAX_MESSAGE_TEXT), blocks
