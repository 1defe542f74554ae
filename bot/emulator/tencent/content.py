"""What the emulated recordings said: AI minutes and to-dos, chapters and transcripts, generated
deterministically from the record file's id (the same file always says the same thing).

A recording speaks Chinese or English (from its subject, else from its id); minutes and chapters
can be had in either (`lang`), transcripts only in the original. `hostile=True` slips text a chat
app must render inert (`<!channel>`, `<@U123>`, `*bold*`, `&`) into every kind of content.

Shapes here are plain Python; the endpoints (intelligence.py) put them on the wire.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

HOSTILE = "<!channel> <@U123> *bold* & <b>x</b>"

_ZH_NAMES = ("张伟", "李娜", "王芳", "陈杰", "刘洋", "赵敏")
_EN_NAMES = ("Alice Chen", "Bob Smith", "Carol Wu", "David Li", "Erin Park", "Frank Zhou")
_USERIDS = ("zhangwei", "li.na", "wangfang", "chen.jie", "liuyang", "zhaomin")
_ZH_TOPICS = (
    "支付网关",
    "搜索改版",
    "移动端发布",
    "数据管道",
    "权限系统",
    "计费",
    "客户反馈",
    "预算",
)
_EN_TOPICS = (
    "payment gateway",
    "search v2",
    "mobile release",
    "data pipeline",
    "permissions",
    "billing",
    "customer feedback",
    "budget",
)
_ZH_SENTENCES = (
    "我们先看一下{t}的进展",
    "上周{t}的上线比较顺利",
    "这个问题主要出在{t}的接口上",
    "我建议{t}下周再做一次评审",
    "{t}的预算还需要和财务确认",
    "客户对{t}的反馈整体是正面的",
    "测试环境里{t}还有两个缺陷没有修复",
    "大家对{t}的方案还有没有其他意见",
    "如果没有问题我们就按这个计划推进{t}",
    "{t}这部分需要再补充一些数据",
)
_EN_SENTENCES = (
    "Let's start with where we are on the {t}",
    "The {t} rollout went smoothly last week",
    "Most of the problems came from the {t} API",
    "I suggest we review the {t} again next week",
    "We still need finance to sign off the {t} numbers",
    "Customer feedback on the {t} has been mostly positive",
    "There are two open bugs in the {t} on staging",
    "Does anyone have concerns about the {t} plan",
    "If nobody objects we go ahead with the {t}",
    "We need a bit more data on the {t}",
)
_WORDS_PER_MINUTE_EN = 140
_CHARS_PER_MINUTE_ZH = 230


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Sentence:
    start_ms: int
    end_ms: int
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Paragraph:
    pid: str
    start_ms: int
    end_ms: int
    userid: str
    username: str
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for s in self.sentences for w in s.words)


@dataclass(frozen=True)
class ChapterSpec:
    chapter_id: str
    start_ms: int
    names: dict[str, str]  # lang ("zh", "en") -> name


@dataclass(frozen=True)
class FileContent:
    """Everything one record file says."""

    record_file_id: str
    lang: str  # the original: "zh" or "en"
    minutes: dict[str, tuple[str, str]]  # lang -> (minute, todo), markdown
    chapters: tuple[ChapterSpec, ...]
    paragraphs: tuple[Paragraph, ...]
    keywords: tuple[str, ...]

    def minute(self, lang: str, markdown: bool = True) -> tuple[str, str]:
        """(minute, todo) in `lang` ("default" or unknown: the original), markdown or plain."""
        minute, todo = self.minutes.get(lang) or self.minutes[self.lang]
        if markdown:
            return minute, todo
        return _plain(minute), _plain(todo)

    def chapter_name(self, chapter: ChapterSpec, lang: str) -> str:
        return chapter.names.get(lang) or chapter.names[self.lang]

    def transcript_text(self) -> str:
        """The transcript file (`meeting_summary`, txt): `Name(hh:mm:ss): text` per paragraph."""
        lines = [f"{p.username}({_clock(p.start_ms)}): {p.text}" for p in self.paragraphs]
        return "\n".join(lines) + "\n"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _clock(ms: int) -> str:
    s = ms // 1000
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _plain(markdown: str) -> str:
    """The plain-text form (text_type=1): no heading marks, no bold marks."""
    lines = []
    for line in markdown.splitlines():
        lines.append(line.lstrip("#").strip().replace("**", "") if line.startswith("#") else line)
    return "\n".join(lines).replace("**", "")


def generate(
    record_file_id: str, subject: str = "", duration_s: float = 1800.0, *, hostile: bool = False
) -> FileContent:
    """The content of one record file, the same for the same arguments."""
    seed = int.from_bytes(hashlib.sha256(record_file_id.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    if subject:
        lang = "zh" if _has_cjk(subject) else "en"
    else:
        lang = "zh" if rng.random() < 0.55 else "en"
    topics = rng.sample(range(len(_ZH_TOPICS)), 4)
    n_speakers = rng.randint(2, 5)
    speakers = rng.sample(range(len(_ZH_NAMES)), n_speakers)
    names = _ZH_NAMES if lang == "zh" else _EN_NAMES
    people = [(_USERIDS[i], names[i]) for i in speakers]
    if hostile:
        people[-1] = ("mallory", HOSTILE)
    minutes = {
        "zh": _minutes_zh(topics, [_ZH_NAMES[i] for i in speakers], hostile),
        "en": _minutes_en(topics, [_EN_NAMES[i] for i in speakers], hostile),
    }
    duration_ms = max(60_000, int(duration_s * 1000))
    paragraphs = _paragraphs(rng, lang, topics, people, duration_ms, hostile)
    chapters = _chapters(rng, record_file_id, topics, duration_ms, hostile)
    keywords = tuple((_ZH_TOPICS if lang == "zh" else _EN_TOPICS)[t] for t in topics[:3])
    return FileContent(record_file_id, lang, minutes, chapters, paragraphs, keywords)


def _minutes_zh(topics: list[int], names: list[str], hostile: bool) -> tuple[str, str]:
    parts = ["## 会议摘要\n"]
    for n, t in enumerate(topics[:3], 1):
        topic = _ZH_TOPICS[t]
        parts.append(f"#### {n}. {topic}\n")
        parts.append(f"- **结论**：{topic}按计划推进，下周复盘。")
        parts.append(f"- {names[n % len(names)]}介绍了{topic}的现状和主要风险。")
        if hostile and n == 1:
            parts.append(f"- {HOSTILE} 请所有人查看")
        parts.append("")
    todo = ["## 会议待办\n"]
    for n, t in enumerate(topics, 0):
        todo.append(f"- {names[n % len(names)]}：周五前完成{_ZH_TOPICS[t]}的方案")
    if hostile:
        todo.append(f"- {HOSTILE}")
    return "\n".join(parts) + "\n", "\n".join(todo) + "\n"


def _minutes_en(topics: list[int], names: list[str], hostile: bool) -> tuple[str, str]:
    parts = ["## Meeting summary\n"]
    for n, t in enumerate(topics[:3], 1):
        topic = _EN_TOPICS[t]
        parts.append(f"#### {n}. {topic.capitalize()}\n")
        parts.append(f"- **Decision**: the {topic} goes ahead as planned; review next week.")
        parts.append(f"- {names[n % len(names)]} walked through the {topic} status and risks.")
        if hostile and n == 1:
            parts.append(f"- {HOSTILE} everyone please read")
        parts.append("")
    todo = ["## Action items\n"]
    for n, t in enumerate(topics, 0):
        todo.append(f"- {names[n % len(names)]}: draft the {_EN_TOPICS[t]} plan by Friday")
    if hostile:
        todo.append(f"- {HOSTILE}")
    return "\n".join(parts) + "\n", "\n".join(todo) + "\n"


def _chapters(
    rng: random.Random, file_id: str, topics: list[int], duration_ms: int, hostile: bool
) -> tuple[ChapterSpec, ...]:
    count = 1 if duration_ms < 120_000 else max(2, min(len(topics), duration_ms // 600_000))
    step = duration_ms // count
    out = []
    for n in range(count):
        t = topics[n]
        start = 0 if n == 0 else n * step + rng.randint(-step // 10, step // 10)
        names = {"zh": f"{_ZH_TOPICS[t]}讨论", "en": f"{_EN_TOPICS[t].capitalize()} discussion"}
        if hostile and n == 0:
            names = {lang: f"{name} {HOSTILE}" for lang, name in names.items()}
        out.append(ChapterSpec(f"C{file_id[-8:]}{n:02d}", max(0, start), names))
    return tuple(out)


def _paragraphs(
    rng: random.Random,
    lang: str,
    topics: list[int],
    people: list[tuple[str, str]],
    duration_ms: int,
    hostile: bool,
) -> tuple[Paragraph, ...]:
    bank = _ZH_SENTENCES if lang == "zh" else _EN_SENTENCES
    topic_names = _ZH_TOPICS if lang == "zh" else _EN_TOPICS
    out: list[Paragraph] = []
    at = rng.randint(2000, 8000)
    speaker = 0
    while at < duration_ms - 5000:
        sentences = []
        p_start = at
        for _ in range(rng.randint(2, 6)):
            topic = topic_names[topics[min(len(topics) - 1, at * len(topics) // duration_ms)]]
            text = rng.choice(bank).format(t=topic)
            if hostile and not out and not sentences:
                text = f"{text} {HOSTILE}"
            text += "。" if lang == "zh" else ". "
            sentence, at = _sentence(text, lang, at)
            sentences.append(sentence)
            at += rng.randint(200, 900)
            if at >= duration_ms - 5000:
                break
        userid, username = people[speaker]
        out.append(
            Paragraph(
                str(len(out)), p_start, sentences[-1].end_ms, userid, username, tuple(sentences)
            )
        )
        speaker = (speaker + rng.randint(1, len(people) - 1)) % len(people)
        at += rng.randint(500, 3000)
    return tuple(out)


def _sentence(text: str, lang: str, at: int) -> tuple[Sentence, int]:
    """Split into words (Chinese: runs of 1 to 3 characters; English: words with their space)
    and time them at a speaking pace."""
    if lang == "zh":
        pieces, i = [], 0
        while i < len(text):
            n = 1 + (i * 7 + len(text)) % 3
            pieces.append(text[i : i + n])
            i += n
        per_char = 60_000 // _CHARS_PER_MINUTE_ZH
        lengths = [len(p) * per_char for p in pieces]
    else:
        words = text.split(" ")
        pieces = [w + " " for w in words[:-1] if w] + ([words[-1]] if words[-1] else [])
        per_word = 60_000 // _WORDS_PER_MINUTE_EN
        lengths = [per_word for _ in pieces]
    start, out = at, []
    for piece, length in zip(pieces, lengths, strict=True):
        out.append(Word(at, at + length, piece))
        at += length
    return Sentence(start, at, tuple(out)), at
