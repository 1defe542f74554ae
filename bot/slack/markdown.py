"""Tencent's markdown (AI minutes and to-dos) turned into Slack mrkdwn that is safe to post.

Tencent writes CommonMark-ish text: `## 会议摘要`, `#### heading`, `- item`, `1. item`, `**bold**`,
sometimes `*italic*`, `` `code` ``, `[text](url)`, fenced code, quotes, tables, blank lines.
Slack's mrkdwn differs (`*bold*`, `_italic_`, `<url|text>`, no headings), so the text is parsed
into `Paragraph`s of `Line`s of styled `Run`s and rendered from there:

- headings become bold lines, list items `•` (nested `◦`) or their number, quotes `>`;
- bold, italic, strike and code become Slack's markers, with a zero-width space beside a marker
  that touches a letter (Slack ignores markers inside a word, which is every Chinese word);
- links become `<url|text>` only for http(s) addresses, else just their text;
- everything else is inert: `&`, `<`, `>` are escaped (so `<!channel>`, `<@U123>`, `<#C1>` are
  shown as typed), and a stray `*`, `~`, `` ` `` or word-edge `_` is swapped for a look-alike
  (∗ ∼ ˋ ˍ) so it cannot open formatting.

`split_line` cuts a line too long for one Block Kit text at a sentence, else a space, else any
character, always between runs' raw characters: never inside a marker pair, a link or an escape.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.slack.mrkdwn import drop_controls, escape

ZWSP = "\u200b"
BULLETS = ("•", "◦", "▪")
INDENT = "    "
MAX_DEPTH = 3  # deeper list items are drawn at this depth
MAX_URL = 1500  # a longer address is shown as its text only (keeps sections within limits)

_LOOKALIKE = {"*": "∗", "~": "∼", "`": "ˋ"}
_UNDERSCORE = "ˍ"
_EDGE_PUNCTUATION = set(".,:;!?'\"()[]{}/-") | {"&", ";"}  # ASCII: already a word edge
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)[-*+•·][ \t]+(.*)$")
_ORDERED = re.compile(r"^([ \t]*)(\d{1,9})(?:[.)][ \t]+|、[ \t]*)(.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_TICKS = re.compile(r"`+")
_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(\s*<?([^()\s<>]*)>?(?:\s+\"[^\"\n]*\")?\s*\)")


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Run:
    """A stretch of raw (unescaped) text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    url: str | None = None

    def style(self) -> tuple[bool, bool, bool, bool, str | None]:
        return (self.bold, self.italic, self.strike, self.code, self.url)


@dataclass(frozen=True)
class Line:
    """One output line: a rendered (safe) prefix and its runs.

    `cont` prefixes the pieces of a line cut by `split_line` after the first one (an indent,
    or `> ` for a quote). `code` lines belong to a fenced block: shown raw, only escaped.
    """

    runs: tuple[Run, ...]
    prefix: str = ""
    cont: str = ""
    code: bool = False
    item: bool = False  # a list item (`•` or a number)
    heading: bool = False

    @property
    def raw(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class Paragraph:
    """Lines shown together; paragraphs are separated by a blank line. `code`: a fenced block."""

    lines: tuple[Line, ...]
    code: bool = False


# --------------------------------------------------------------------------- block level
def clean(text: str) -> str:
    """Unify line ends, tabs to spaces, drop control characters (NUL, the hit markers, ...).

    A lone surrogate (JSON allows one, UTF-8 does not) becomes U+FFFD.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _SURROGATE.sub("\ufffd", drop_controls(text))


def parse(text: str | None, *, bullets: bool = False) -> list[Paragraph]:
    """Paragraphs of Tencent markdown. `bullets=True` makes every plain line a list item."""
    paragraphs: list[Paragraph] = []
    current: list[Line] = []

    def close() -> None:
        if current:
            paragraphs.append(Paragraph(tuple(current)))
            current.clear()

    lines = clean(text or "").split("\n")
    index = 0
    while index < len(lines):
        raw = lines[index]
        index += 1
        fence = _FENCE.match(raw)
        if fence:
            close()
            body: list[Line] = []
            mark = fence.group(1)
            while index < len(lines) and not lines[index].strip().startswith(mark[:3]):
                body.append(Line((Run(lines[index]),), code=True))
                index += 1
            index += 1  # the closing fence (or the end)
            if body:
                paragraphs.append(Paragraph(tuple(body), code=True))
            continue
        if not raw.strip() or _RULE.match(raw):
            close()
            continue
        if _TABLE_RULE.match(raw) and "-" in raw and ("|" in raw or current):
            continue
        line = _line(raw, bullets=bullets)
        if line.heading:
            close()
        if line.raw.strip():
            current.append(line)
    close()
    return paragraphs


def _line(raw: str, *, bullets: bool) -> Line:
    heading = _HEADING.match(raw)
    if heading:
        runs = merge([replace(run, bold=True) for run in inline(heading.group(2) or "")])
        return Line(tuple(runs), heading=True)
    bullet = _BULLET.match(raw)
    if bullet:
        depth = min(_depth(bullet.group(1)), MAX_DEPTH - 1)
        indent = INDENT * depth
        return Line(
            inline(bullet.group(2)),
            f"{indent}{BULLETS[depth]} ",
            indent + "  ",
            item=True,
        )
    ordered = _ORDERED.match(raw)
    if ordered:
        depth = min(_depth(ordered.group(1)), MAX_DEPTH - 1)
        indent = INDENT * depth
        number = ordered.group(2)
        return Line(inline(ordered.group(3)), f"{indent}{number}. ", indent + "   ", item=True)
    quote = _QUOTE.match(raw)
    if quote:
        return Line(inline(quote.group(1)), "> ", "> ")
    text = raw.strip()
    if text.startswith("|") and text.endswith("|") and len(text) > 1:
        text = " · ".join(cell.strip() for cell in text[1:-1].split("|"))
    if bullets:
        return Line(inline(text), f"{BULLETS[0]} ", "  ", item=True)
    return Line(inline(text))


def _depth(indent: str) -> int:
    return len(indent.replace("\t", "    ")) // 2


# --------------------------------------------------------------------------- inline
_STYLE_OF = {"**": "bold", "__": "bold", "~~": "strike", "*": "italic", "_": "italic"}


def inline(text: str, base: Run | None = None) -> tuple[Run, ...]:
    """Styled runs of one line of markdown (adjacent runs of the same style merged)."""
    return tuple(merge(_inline(text, base or Run(""))))


def _inline(text: str, base: Run) -> list[Run]:
    out: list[Run] = []
    plain: list[str] = []
    no_close: dict[str, int] = {}  # delimiter -> a start from which no closing one exists

    def flush() -> None:
        if plain:
            out.append(replace(base, text="".join(plain)))
            plain.clear()

    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "`" and not base.code:
            ticks = len(_TICKS.match(text, i).group())  # type: ignore[union-attr]
            end = _find(text, "`" * ticks, i + ticks, no_close)
            if end > i + ticks:
                flush()
                body = text[i + ticks : end].strip()
                if body:
                    out.append(replace(base, text=body, code=True, url=None))
                i = end + ticks
                continue
            plain.append(text[i : i + ticks])
            i += ticks
            continue
        if char in "[!" and base.url is None and not base.code:
            link = _LINK.match(text, i)
            if link:
                flush()
                label, url = link.group(1), link.group(2)
                safe = url.lower().startswith(("https://", "http://")) and len(url) <= MAX_URL
                label = label or url
                out.extend(_inline(label, replace(base, url=url if safe else None)))
                i = link.end()
                continue
        delim = _delimiter(text, i)
        if delim and not base.code:
            style = _STYLE_OF[delim]
            end = _closing(text, i, delim, no_close) if not getattr(base, style) else -1
            if end > 0:
                flush()
                out.extend(_inline(text[i + len(delim) : end], replace(base, **{style: True})))
                i = end + len(delim)
                continue
            plain.append(delim)
            i += len(delim)
            continue
        plain.append(char)
        i += 1
    flush()
    return out


def _delimiter(text: str, i: int) -> str | None:
    two = text[i : i + 2]
    if two in ("**", "__", "~~"):
        return two
    char = text[i]
    if char == "*":
        return "*"
    if char == "_":
        before = text[i - 1] if i else " "
        return None if before.isalnum() else "_"  # snake_case is not emphasis
    return None


def _closing(text: str, i: int, delim: str, no_close: dict[str, int]) -> int:
    """Index of the delimiter closing the one at `i`, or -1.

    The opener must be followed by a non-space, the closer preceded by one. `no_close` remembers
    failed searches, so a line full of lone `*` stays linear.
    """
    start = i + len(delim)
    if start >= len(text) or text[start].isspace():
        return -1
    key = "close" + delim
    if key in no_close and start + 1 >= no_close[key]:
        return -1
    position = start + 1
    while True:
        end = _find(text, delim, position, no_close)
        if end < 0:
            no_close[key] = min(start + 1, no_close.get(key, start + 1))
            return -1
        single = len(delim) == 1
        doubled = single and (text[end + 1 : end + 2] == delim or text[end - 1] == delim)
        after = text[end + len(delim) : end + len(delim) + 1]
        word_after = delim == "_" and after.isalnum()
        if not text[end - 1].isspace() and not doubled and not word_after:
            return end
        position = end + 1


def _find(text: str, needle: str, position: int, no_close: dict[str, int]) -> int:
    """text.find(needle, position), remembering misses: none from there means none from later."""
    if needle in no_close and position >= no_close[needle]:
        return -1
    end = text.find(needle, position)
    if end < 0:
        no_close[needle] = min(position, no_close.get(needle, position))
    return end


def merge(runs: list[Run]) -> list[Run]:
    """Runs without empty ones, neighbours of the same style joined."""
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and merged[-1].style() == run.style():
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


# --------------------------------------------------------------------------- rendering
def inert(text: str) -> str:
    """Escaped text in which no character can open Slack formatting."""
    text = escape(text)
    out = []
    for index, char in enumerate(text):
        if char in _LOOKALIKE:
            out.append(_LOOKALIKE[char])
        elif char == "_":
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            inside = _ASCII_ALNUM.match(before) and _ASCII_ALNUM.match(after)
            out.append("_" if inside else _UNDERSCORE)
        else:
            out.append(char)
    return "".join(out)


def code_text(text: str) -> str:
    """Escaped text for inside a code span or block (backticks would close it)."""
    return escape(text).replace("`", _LOOKALIKE["`"])


def render_runs(runs: tuple[Run, ...] | list[Run]) -> str:
    """The mrkdwn of a sequence of runs."""
    pieces: list[tuple[str, bool]] = []  # (mrkdwn, wrapped in markers)
    for run in runs:
        pieces.extend(_render_run(run))
    out: list[str] = []
    previous: tuple[str, bool] | None = None
    for piece in pieces:
        if previous is not None and _touching(previous, piece):
            out.append(ZWSP)
        out.append(piece[0])
        previous = piece
    return "".join(out)


def _touching(before: tuple[str, bool], after: tuple[str, bool]) -> bool:
    """True when a marker of either piece would touch a non-space of the other."""
    marked = before[1] or after[1]
    return marked and _needs_gap(before[0][-1:]) and _needs_gap(after[0][:1])


def _needs_gap(char: str) -> bool:
    """Whether a marker beside `char` would not count as at a word's edge for Slack."""
    return bool(char) and not char.isspace() and char not in _EDGE_PUNCTUATION


def _render_run(run: Run) -> list[tuple[str, bool]]:
    body = run.text.strip()
    if not body:
        return [(run.text, False)] if run.text else []
    lead = run.text[: len(run.text) - len(run.text.lstrip())]
    tail = run.text[len(run.text.rstrip()) :]
    marked = True
    if run.code:
        text = f"`{code_text(body)}`"
    elif run.url:
        text = f"<{escape(run.url).replace('|', '%7C')}|{inert(body).replace('|', '¦')}>"
        marked = False
    else:
        text = inert(body)
        marked = False
    if run.strike:
        text, marked = f"~{text}~", True
    if run.italic and not run.code:
        text, marked = f"_{text}_", True
    if run.bold:
        text, marked = f"*{text}*", True
    out = [(lead, False)] if lead else []
    out.append((text, marked))
    if tail:
        out.append((tail, False))
    return out


def render_line(line: Line, *, continued: bool = False) -> str:
    if line.code:
        return code_text(line.raw)
    return (line.cont if continued else line.prefix) + render_runs(line.runs)


def render_paragraph(paragraph: Paragraph) -> str:
    body = "\n".join(render_line(line) for line in paragraph.lines)
    return f"```\n{body}\n```" if paragraph.code else body


def render(text: str | None, *, bullets: bool = False) -> str:
    """The whole text as mrkdwn (no length limit: see bot.slack.minutes for splitting)."""
    return "\n\n".join(render_paragraph(p) for p in parse(text, bullets=bullets))


# --------------------------------------------------------------------------- splitting
_SENTENCE_END = re.compile(r"[。！？；…]+[」』”’）)\]]*\s*|[.!?;:]+[\"'”’)\]]*\s+")
_SPACE = re.compile(r"\s+")


def cut(line: Line, start: int, end: int, starts: list[int] | None = None) -> Line:
    """The part of `line` between raw offsets `start` and `end` (styles kept).

    `starts` (each run's raw offset, as `run_starts` gives) saves walking the runs before it.
    """
    starts = run_starts(line) if starts is None else starts
    runs: list[Run] = []
    index = max(0, bisect.bisect_right(starts, start) - 1)
    while index < len(line.runs) and starts[index] < end:
        run, offset = line.runs[index], starts[index]
        a, b = max(start, offset), min(end, offset + len(run.text))
        if a < b:
            runs.append(replace(run, text=run.text[a - offset : b - offset]))
        index += 1
    return replace(line, runs=tuple(runs))


def run_starts(line: Line) -> list[int]:
    return list(itertools.accumulate((len(run.text) for run in line.runs), initial=0))[:-1]


def split_line(line: Line, limit: int, *, overhead: int = 0) -> list[str]:
    """`line` rendered as pieces of at most `limit - overhead` characters each.

    Cut at the last sentence end that fits, else the last space, else the last character
    that fits (never between a character and its combining marks). Every raw character lands
    in exactly one piece.
    """
    room = limit - overhead
    whole = render_line(line)
    if len(whole) <= room:
        return [whole]
    raw = line.raw
    starts = run_starts(line)
    pieces: list[str] = []
    start = 0
    continued = False

    def size(end: int) -> int:
        return len(render_line(cut(line, start, end, starts), continued=continued))

    while start < len(raw):
        fits = _fits(size, start, len(raw), room)
        end = fits if fits == len(raw) else _boundary(raw, start, fits)
        pieces.append(render_line(cut(line, start, end, starts), continued=continued))
        start = end
        continued = True
    return pieces


def _fits(size: Callable[[int], int], start: int, stop: int, room: int) -> int:
    """The largest end (start < end <= stop) whose piece's size fits in `room` (at least one)."""
    if stop - start <= room and size(stop) <= room:
        return stop
    low, high = start + 1, min(stop, start + room)  # rendered text is never shorter than raw
    if size(low) > room:
        return low
    while low < high:
        middle = (low + high + 1) // 2
        if size(middle) <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _boundary(raw: str, start: int, fits: int) -> int:
    """Where to cut raw[start:] given that raw[start:fits] fits: a sentence, a space, else fits."""
    window = raw[start:fits]
    for pattern in (_SENTENCE_END, _SPACE):
        ends = [m.end() for m in pattern.finditer(window)]
        if ends and ends[-1] >= len(window) // 2:
            return start + ends[-1]
    end = fits
    while end - 1 > start and _joins(raw, end):
        end -= 1
    return end


def _joins(raw: str, at: int) -> bool:
    """True when raw[at] must stay with the character before it (a combining mark, ZWJ, VS)."""
    if at >= len(raw):
        return False
    char = raw[at]
    return (
        bool(unicodedata.combining(char))
        or char in "\u200d\ufe0e\ufe0f"
        or ("\U0001f3fb" <= char <= "\U0001f3ff")
    )
