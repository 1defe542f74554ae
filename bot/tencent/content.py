"""The wire format of Tencent's content endpoints, parsed into bot.meeting_content's types.

    /v1/smart/minutes/{id}              meeting_minute {minute, todo}       -> Minutes
    /v1/smart/chapters                  chapter_list[] (name b64, ms str)  -> list[Chapter]
    /v1/records/transcripts/paragraphs  pids[] {pid, start_time, end_time} -> list[ParagraphSpan]
    /v1/records/transcripts/details     minutes {paragraphs[], keywords}   -> TranscriptPage
    /v1/addresses?meeting_record_id=    record_files[] (+ meeting_summary) -> RecordAddresses
    its transcript file (txt)           `Name(hh:mm:ss): text` lines       -> paragraphs

Base64 is decoded defensively: a value that is not valid base64 of printable UTF-8 is kept as
the text it is (the docs say which fields are base64, and are not always right). Strings of
milliseconds become ints. A malformed item (a chapter or paragraph without its id, a time that
is not a number) is left out with a warning rather than failing the whole answer.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.meeting_content import Chapter, Minutes, TranscriptParagraph
from bot.tencent.errors import MalformedResponseError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParagraphSpan:
    """One entry of the paragraph index (transcripts/paragraphs)."""

    pid: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class TranscriptPage:
    """One answer of transcripts/details."""

    paragraphs: tuple[TranscriptParagraph, ...]
    keywords: tuple[str, ...]
    speakers_final: bool  # audio_detect: 0 while voiceprint separation still runs
    more: bool


@dataclass(frozen=True)
class TranscriptFile:
    """A transcript file of a record file (`meeting_summary[]`: txt, pdf or docx)."""

    file_type: str
    download_address: str = field(repr=False)


@dataclass(frozen=True)
class RecordFileAddresses:
    """One record file of the batch `GET /v1/addresses`; the links are short-lived and secret."""

    record_file_id: str
    view_address: str | None = field(default=None, repr=False)
    download_address: str | None = field(default=None, repr=False)
    audio_address: str | None = field(default=None, repr=False)
    transcript_files: tuple[TranscriptFile, ...] = ()


@dataclass(frozen=True)
class RecordAddresses:
    """One page of the batch `GET /v1/addresses` of a meeting recording."""

    meeting_record_id: str
    meeting_id: str
    subject: str
    files: tuple[RecordFileAddresses, ...]
    current_page: int
    total_page: int


# -- values -----------------------------------------------------------------------------------
def decode_b64_text(value: object) -> str:
    """The UTF-8 text `value` encodes in base64; `value` itself (as text) when it does not."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    if not value:
        return value
    try:
        raw = base64.b64decode(value, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return value
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        return value  # random bytes that happen to be valid UTF-8: it was text
    return text


def to_ms(value: object) -> int:
    """Milliseconds from an int or a string of digits (Tencent sends both)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"not a number of milliseconds: {value!r}"[:80])


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _object(data: Mapping[str, Any], key: str, label: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise MalformedResponseError(f"the answer to {label} has no {key} object")
    return value


def _list(data: Mapping[str, Any], key: str, label: str) -> Sequence[Any]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedResponseError(f"the answer to {label} has a {key} that is not a list")
    return value


def _join(parts: Sequence[str]) -> str:
    """Sentences joined: a space between two that would otherwise run together (Latin text
    whose sentence lacks its trailing space), none between Chinese ones."""
    out = ""
    for part in parts:
        if not part:
            continue
        a, b = out[-1:], part[0]
        if a and not a.isspace() and not b.isspace() and a.isascii() and b.isascii():
            out += " "
        out += part
    return out.strip()


# -- answers ----------------------------------------------------------------------------------
def parse_minutes(record_file_id: str, data: Mapping[str, Any], lang: str) -> Minutes:
    label = f"minutes of record file {record_file_id}"
    minute = _object(data, "meeting_minute", label)
    return Minutes(
        record_file_id=record_file_id,
        minute=decode_b64_text(minute.get("minute")),
        todo=decode_b64_text(minute.get("todo")),
        lang=lang,
    )


def parse_chapters(record_file_id: str, data: Mapping[str, Any]) -> list[Chapter]:
    label = f"chapters of record file {record_file_id}"
    chapters = []
    for n, item in enumerate(_list(data, "chapter_list", label)):
        try:
            if not isinstance(item, Mapping):
                raise ValueError("not an object")
            chapters.append(
                Chapter(
                    chapter_id=_text(item.get("chapter_id")) or str(n),
                    name=decode_b64_text(item.get("chapter_name")),
                    start_ms=to_ms(item.get("start_time")),
                )
            )
        except ValueError as exc:
            log.warning("%s: left out chapter %d (%s)", label, n, exc)
    chapters.sort(key=lambda c: c.start_ms)
    return chapters


def parse_paragraph_index(record_file_id: str, data: Mapping[str, Any]) -> list[ParagraphSpan]:
    label = f"transcript paragraphs of record file {record_file_id}"
    spans = []
    for n, item in enumerate(_list(data, "pids", label)):
        try:
            if not isinstance(item, Mapping) or item.get("pid") in (None, ""):
                raise ValueError("no pid")
            spans.append(
                ParagraphSpan(
                    _text(item["pid"]), to_ms(item.get("start_time")), to_ms(item.get("end_time"))
                )
            )
        except ValueError as exc:
            log.warning("%s: left out entry %d (%s)", label, n, exc)
    return spans


def _paragraph(item: object) -> TranscriptParagraph:
    if not isinstance(item, Mapping) or item.get("pid") in (None, ""):
        raise ValueError("no pid")
    speaker = item.get("speaker_info")
    speaker = speaker if isinstance(speaker, Mapping) else {}
    sentences = item.get("sentences")
    texts = []
    for sentence in sentences if isinstance(sentences, list) else ():
        words = sentence.get("words") if isinstance(sentence, Mapping) else None
        texts.append("".join(_text(w.get("text")) for w in words or () if isinstance(w, Mapping)))
    userid = speaker.get("userid")
    return TranscriptParagraph(
        pid=_text(item["pid"]),
        start_ms=to_ms(item.get("start_time")),
        end_ms=to_ms(item.get("end_time")),
        speaker_name=_text(speaker.get("username")),  # plain text per the docs: not decoded
        speaker_userid=_text(userid) or None,
        text=_join(texts),
    )


def parse_transcript_page(record_file_id: str, data: Mapping[str, Any]) -> TranscriptPage:
    label = f"transcript of record file {record_file_id}"
    body = _object(data, "minutes", label)
    paragraphs = []
    for n, item in enumerate(_list(body, "paragraphs", label)):
        try:
            paragraphs.append(_paragraph(item))
        except ValueError as exc:
            log.warning("%s: left out paragraph %d (%s)", label, n, exc)
    keywords = tuple(_text(k) for k in _list(body, "keywords", label) if k not in (None, ""))
    return TranscriptPage(
        paragraphs=tuple(paragraphs),
        keywords=keywords,
        speakers_final=body.get("audio_detect", 1) != 0,
        more=data.get("more") is True,
    )


def _link(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_record_addresses(meeting_record_id: str, data: Mapping[str, Any]) -> RecordAddresses:
    label = f"addresses of meeting recording {meeting_record_id}"
    files = []
    for item in _list(data, "record_files", label):
        if not isinstance(item, Mapping) or item.get("record_file_id") in (None, ""):
            log.warning("%s: left out a record file without its id", label)
            continue
        summaries = item.get("meeting_summary")
        transcripts = tuple(
            TranscriptFile(_text(s.get("file_type")).lower(), s["download_address"])
            for s in (summaries if isinstance(summaries, list) else ())
            if isinstance(s, Mapping) and _link(s.get("download_address"))
        )
        files.append(
            RecordFileAddresses(
                record_file_id=_text(item["record_file_id"]),
                view_address=_link(item.get("view_address")),
                download_address=_link(item.get("download_address")),
                audio_address=_link(item.get("audio_address")),
                transcript_files=transcripts,
            )
        )
    try:
        current, total = int(data.get("current_page", 1)), int(data.get("total_page", 1))
    except (TypeError, ValueError):
        raise MalformedResponseError(
            f"the answer to {label} has pages that are not numbers"
        ) from None
    return RecordAddresses(
        meeting_record_id=_text(data.get("meeting_record_id")) or meeting_record_id,
        meeting_id=_text(data.get("meeting_id")),
        subject=_text(data.get("subject")),
        files=tuple(files),
        current_page=current,
        total_page=total,
    )


# -- the transcript file (meeting_summary, txt) -------------------------------------------------
# `Name(hh:mm:ss): text`, with ASCII or full-width brackets and colon (Tencent's txt export is
# not documented; this is the emulator's shape, read defensively).
_LINE_RE = re.compile(
    r"^(?P<name>[^()（）]{0,200}?)\s*[(（]\s*(?P<clock>\d{1,3}(?::\d{1,2}){1,2})\s*[)）]"
    r"\s*[:：]\s?(?P<text>.*)$"
)


def _clock_ms(clock: str) -> int:
    seconds = 0
    for part in clock.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds * 1000


def parse_transcript_text(text: str) -> list[TranscriptParagraph]:
    """The paragraphs of a transcript file: one per `Name(hh:mm:ss): text` line; a line of any
    other shape is text of the paragraph before it (or of a first paragraph without speaker).
    A paragraph ends where the next one starts (the last one where it starts)."""
    heads: list[tuple[str, int, list[str]]] = []
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _LINE_RE.match(line)
        if match is not None:
            heads.append((match["name"].strip(), _clock_ms(match["clock"]), [match["text"]]))
        elif heads:
            heads[-1][2].append(line)
        else:
            heads.append(("", 0, [line]))
    paragraphs = []
    for i, (name, start, lines) in enumerate(heads):
        end = heads[i + 1][1] if i + 1 < len(heads) else start
        paragraphs.append(
            TranscriptParagraph(
                pid=str(i + 1),
                start_ms=start,
                end_ms=max(start, end),
                speaker_name=name,
                speaker_userid=None,
                text="\n".join(t for t in lines if t).strip(),
            )
        )
    return paragraphs
