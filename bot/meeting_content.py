"""What was said in a recording, as every layer shares it: AI minutes and to-dos, chapters, and
the transcript. The Tencent side parses the wire format into these (base64 decoded, strings of
milliseconds made numbers); the store keeps them; the Slack side renders them.

Offsets are milliseconds from the start of the recording file. Texts are plain Unicode as
Tencent wrote them: nothing here is escaped for Slack.
"""

from __future__ import annotations

from dataclasses import dataclass

# Why a recording's content cannot be had (kept, so it is not asked for again and again).
CONTENT_GENERATING = "generating"  # Tencent is still producing it: ask again later
CONTENT_OFF = "off"  # the recording's AI features are off, or the plan has none
CONTENT_NO_STS = "no_sts"  # the endpoint needs an STS-Token and none has arrived

# A search hit's snippet marks each matched stretch as HIT_START + match + HIT_END (the store puts
# them there, the Slack side turns them into bold). Control characters no transcript holds; a
# renderer drops any stray one.
HIT_START = "\x02"
HIT_END = "\x03"


@dataclass(frozen=True)
class Minutes:
    """AI minutes (智能纪要) of one record file, in Tencent's markdown (or plain text)."""

    record_file_id: str
    minute: str  # the summary
    todo: str  # the action items
    lang: str = "default"  # "default" (the original), "zh", "en", "ja"


@dataclass(frozen=True)
class Chapter:
    """One AI chapter (智能章节): its name and where it starts in the recording."""

    chapter_id: str
    name: str
    start_ms: int


@dataclass(frozen=True)
class TranscriptParagraph:
    """One paragraph of a transcript: who spoke, when, and what (the sentences joined)."""

    pid: str
    start_ms: int
    end_ms: int
    speaker_name: str  # the nickname Tencent shows ("" when unknown)
    speaker_userid: str | None  # only for people of the same company
    text: str


@dataclass(frozen=True)
class Transcript:
    """The transcript (录制转写) of one record file."""

    record_file_id: str
    paragraphs: tuple[TranscriptParagraph, ...]
    keywords: tuple[str, ...] = ()
    speakers_final: bool = True  # False while Tencent's voiceprint separation still runs
